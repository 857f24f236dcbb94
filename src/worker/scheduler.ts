/**
 * Periodic tasks: at each tick of each schedule, every worker that runs it
 * asks Redis to queue the tick's task, and Redis lets exactly one of them
 * (src/queue/schedules.ts). Only the coming tick counts: a worker that was
 * down, blocked or cut off from Redis during a tick never queues it later.
 */
import type { TypedEmitter, WorkerEvents } from "../common/events.js";
import { toError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { latestTick, nextTick, type Schedule } from "../common/schedule.js";
import {
  enqueueTick,
  publishSchedules,
  type QueueContext,
} from "../queue/index.js";
import { createSignal, withDeadline } from "./signal.js";

/**
 * A tick is queued at most this long after its time (then it is missed):
 * bounds a wake-up delayed by a blocked event loop or a suspended host,
 * and a call held back by a Redis outage (checked by Redis itself).
 */
export const MAX_TICK_LATENESS_MS = 60_000;
/** Longest single timer; setTimeout overflows past 2^31 - 1 ms. */
const MAX_TIMER_MS = 3_600_000;
/** First wait before asking Redis again about a tick; doubles up to 2 s. */
const TICK_RETRY_MS = 250;
const MAX_TICK_RETRY_MS = 2000;
/** How often the schedules are published; readers drop them after 3x. */
export const SCHEDULE_PUBLISH_MS = 5000;

/** Options of `createScheduler`. */
export interface SchedulerOptions {
  queue: QueueContext;
  schedules: Schedule[];
  /** The worker's id, kept in each tick's marker and the published entry. */
  worker: string;
  /** Where `schedule:tick` is announced (the worker's event map). */
  events: TypedEmitter<WorkerEvents>;
  logger: Logger;
  publishMs?: number;
}

/** The running schedules of one worker. */
export interface Scheduler {
  /** Starts every schedule's timer and the publishing. */
  start(): void;
  /** Stops the timers and waits for a tick being queued; safe twice. */
  stop(): Promise<void>;
}

/** Creates a scheduler; nothing runs until `start`. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { queue, events, worker } = options;
  const log = options.logger.child({ worker });
  const wake = createSignal();
  const publishMs = options.publishMs ?? SCHEDULE_PUBLISH_MS;
  let isStopped = false;
  let loops: Promise<void>[] = [];
  let publisher: NodeJS.Timeout | undefined;

  async function sleepUntil(at: number): Promise<void> {
    for (let left = at - Date.now(); left > 0 && !isStopped;) {
      await wake.wait(Math.min(left, MAX_TIMER_MS));
      left = at - Date.now();
    }
  }

  /** Asks Redis to queue the tick, again after a failure, until too late. */
  async function fire(schedule: Schedule, tick: Date): Promise<void> {
    const notAfter = tick.getTime() + MAX_TICK_LATENESS_MS;
    const announce = (result: WorkerEvents["schedule:tick"]["result"]) =>
      events.emit("schedule:tick", {
        name: schedule.name,
        tick: tick.toISOString(),
        result,
      });
    for (let delay = TICK_RETRY_MS; !isStopped;) {
      const left = notAfter - Date.now();
      try {
        if (left <= 0) throw new Error("too late");
        const result = await withDeadline(
          enqueueTick(queue, schedule, tick, { worker, notAfter }),
          left,
          () => new Error(`Redis did not answer within ${left} ms`),
        );
        announce(result === "late" ? "missed" : result);
        if (result === "enqueued") {
          log.info({ schedule: schedule.name, tick }, "scheduled task queued");
        }
        return;
      } catch (error) {
        if (Date.now() + delay >= notAfter) {
          log.warn(
            { schedule: schedule.name, tick, err: toError(error) },
            "scheduled tick not queued: Redis did not answer in time",
          );
          announce("failed");
          return;
        }
        await wake.wait(delay);
        delay = Math.min(delay * 2, MAX_TICK_RETRY_MS);
      }
    }
  }

  async function run(schedule: Schedule): Promise<void> {
    let tick = nextTick(schedule, new Date());
    while (tick && !isStopped) {
      await sleepUntil(tick.getTime());
      if (isStopped) return;
      // Woken late (a blocked loop, a long outage): a later tick may have
      // come meanwhile, and only the latest one counts; those between are
      // skipped, never replayed.
      const current = latestTick(schedule, new Date());
      if (current && current > tick) tick = current;
      if (Date.now() - tick.getTime() > MAX_TICK_LATENESS_MS) {
        log.warn({ schedule: schedule.name, tick }, "scheduled tick missed");
        events.emit("schedule:tick", {
          name: schedule.name,
          tick: tick.toISOString(),
          result: "missed",
        });
      } else {
        await fire(schedule, tick);
      }
      tick = nextTick(schedule, tick);
    }
  }

  const publish = () =>
    publishSchedules(queue, options.schedules, {
      worker,
      ttlMs: publishMs * 3,
    }).catch((error: unknown) =>
      log.debug({ err: toError(error) }, "publishing schedules failed"),
    );

  return {
    start() {
      if (options.schedules.length === 0 || loops.length > 0) return;
      void publish();
      publisher = setInterval(() => void publish(), publishMs);
      loops = options.schedules.map((schedule) => run(schedule));
      log.info(
        {
          schedules: options.schedules.map(
            (s) => `${s.name}=${s.cron} (${s.timezone})`,
          ),
        },
        "schedules started",
      );
    },
    async stop() {
      isStopped = true;
      clearInterval(publisher);
      wake.notify();
      await Promise.allSettled(loops);
    },
  };
}
