/**
 * The worker's periodic jobs: heartbeat, recovery of dead workers' tasks,
 * promotion of due retries and scheduled tasks, and the summary line.
 */
import type { TypedEmitter, WorkerEvents } from "../common/events.js";
import { toError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import type { WorkerInfo, WorkerQueue } from "../queue/index.js";

/** Intervals of the worker, in ms unless named otherwise. */
export interface Timings {
  heartbeatMs: number;
  /** A worker whose heartbeat is older than this is dead. */
  heartbeatTtlMs: number;
  recoverMs: number;
  promoteMs: number;
  summaryMs: number;
  /** Longest BLMOVE wait (seconds); bounds how late a pause is noticed. */
  blockSeconds: number;
  /**
   * Poll interval when the transport cannot block (`--poll-interval`); an
   * idle worker doubles it up to maxPollMs and returns to it on work.
   */
  pollMs: number;
  maxPollMs: number;
  /** How often a paused worker checks whether the pause ended. */
  pausedPollMs: number;
}

/**
 * Defaults: a dead worker's tasks are back in the queue within
 * heartbeatTtlMs + recoverMs = 20 s of its death.
 */
export const DEFAULT_TIMINGS: Timings = {
  heartbeatMs: 5000,
  heartbeatTtlMs: 15_000,
  recoverMs: 5000,
  promoteMs: 500,
  summaryMs: 60_000,
  blockSeconds: 1,
  pollMs: 500,
  maxPollMs: 5000,
  pausedPollMs: 1000,
};

/** What the timers need from the worker. */
export interface TimersOptions {
  queue: WorkerQueue;
  timings: Timings;
  info: () => WorkerInfo;
  log: Logger;
  totals: {
    processed: number;
    failed: number;
    retried: number;
    recovered: number;
  };
  events: TypedEmitter<WorkerEvents>;
  worker: string;
  /** Requests sent to Redis so far (the transport's counter). */
  requests: () => number;
  /** Receives the requests per minute measured by each summary. */
  onRequestRate: (perMinute: number) => void;
}

/** Starts and stops the periodic jobs. */
export interface Timers {
  start(): void;
  stop(): void;
}

/** Runs `job` every `ms`, never two at once; failures are logged once. */
function every(
  ms: number,
  job: () => Promise<void>,
  onError: (e: unknown) => void,
) {
  let isRunning = false;
  return setInterval(() => {
    if (isRunning) return;
    isRunning = true;
    job()
      .catch(onError)
      .finally(() => {
        isRunning = false;
      });
  }, ms);
}

/** Creates the timers; nothing runs until `start`. */
export function createTimers(options: TimersOptions): Timers {
  const { queue, timings, log, totals, events } = options;
  const handles: NodeJS.Timeout[] = [];
  let lastSummary = {
    at: Date.now(),
    processed: 0,
    failed: 0,
    retried: 0,
    requests: options.requests(),
  };
  const warn = (what: string) => (error: unknown) =>
    log.warn({ err: toError(error) }, `${what} failed`);

  const heartbeat = () =>
    queue.heartbeat(options.info(), timings.heartbeatTtlMs);

  const announceRecovered = (
    recovered: { worker: string; count: number }[],
  ) => {
    for (const { worker, count } of recovered) {
      totals.recovered += count;
      log.warn(
        { dead: worker, count },
        "returned the tasks of a dead worker to the queue",
      );
      events.emit("worker:recovered", {
        worker: options.worker,
        dead: worker,
        count,
      });
    }
  };

  const recover = async () =>
    announceRecovered(await queue.recoverDeadWorkers());

  const upkeep = async () =>
    announceRecovered(
      await queue.upkeep(options.info(), timings.heartbeatTtlMs),
    );

  const promote = async () => {
    const count = await queue.promoteDue(Date.now());
    if (count === 0) return;
    log.debug({ count }, "moved due retries and scheduled tasks to the queue");
    events.emit("queue:promoted", { count });
  };

  const summary = async () => {
    const now = Date.now();
    const seconds = (now - lastSummary.at) / 1000;
    const processed = totals.processed - lastSummary.processed;
    const failed = totals.failed - lastSummary.failed;
    const retried = totals.retried - lastSummary.retried;
    const rate = Math.round(((processed + failed) / seconds) * 10) / 10;
    const requests = options.requests();
    const requestsPerMin = Math.round(
      ((requests - lastSummary.requests) / seconds) * 60,
    );
    options.onRequestRate(requestsPerMin);
    log.info(
      {
        processed,
        failed,
        retried,
        rate_per_s: rate,
        in_flight: options.info().in_flight,
        requests_per_min: requestsPerMin,
      },
      "summary",
    );
    lastSummary = {
      at: now,
      processed: totals.processed,
      failed: totals.failed,
      retried: totals.retried,
      requests,
    };
  };

  return {
    start() {
      if (queue.isPolling) {
        // One request per period instead of three jobs; promotion rides on
        // every claim (see WorkerQueue.isPolling).
        const upkeepMs = Math.min(timings.heartbeatMs, timings.recoverMs);
        void upkeep().catch(warn("heartbeat"));
        handles.push(
          every(upkeepMs, upkeep, warn("heartbeat")),
          every(timings.summaryMs, summary, warn("summary")),
        );
        return;
      }
      void recover().catch(warn("recovering dead workers"));
      handles.push(
        every(timings.heartbeatMs, heartbeat, warn("heartbeat")),
        every(timings.recoverMs, recover, warn("recovering dead workers")),
        every(timings.promoteMs, promote, warn("promoting due retries")),
        every(timings.summaryMs, summary, warn("summary")),
      );
    },
    stop() {
      for (const handle of handles.splice(0)) clearInterval(handle);
    },
  };
}
