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
  /** Poll interval when the transport cannot block. */
  pollMs: number;
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
  let lastSummary = { at: Date.now(), processed: 0, failed: 0, retried: 0 };
  const warn = (what: string) => (error: unknown) =>
    log.warn({ err: toError(error) }, `${what} failed`);

  const heartbeat = () =>
    queue.heartbeat(options.info(), timings.heartbeatTtlMs);

  const recover = async () => {
    for (const { worker, count } of await queue.recoverDeadWorkers()) {
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
    log.info(
      {
        processed,
        failed,
        retried,
        rate_per_s: rate,
        in_flight: options.info().in_flight,
      },
      "summary",
    );
    lastSummary = {
      at: now,
      processed: totals.processed,
      failed: totals.failed,
      retried: totals.retried,
    };
  };

  return {
    start() {
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
