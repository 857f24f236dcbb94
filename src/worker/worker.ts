/**
 * The worker: fetch loop, concurrency slots, acknowledgements, maintenance
 * (heartbeat, recovery of dead workers, promotion of due retries) and
 * graceful shutdown. It wires small pieces together; the per-task logic is
 * in run-task.ts, the Redis side in src/queue.
 */
import { hostname } from "node:os";
import { TypedEmitter, type WorkerEvents } from "../common/events.js";
import { toError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import type { Database } from "../db/index.js";
import type { Ack, WorkerInfo, WorkerQueue } from "../queue/index.js";
import { createAckBuffer } from "./ack-buffer.js";
import { createClaimAhead } from "./claim-ahead.js";
import { createHeldEntries } from "./held-entries.js";
import type { HandlerContext } from "./handlers/index.js";
import type { RetryPolicy } from "./retry-policy.js";
import { runTask } from "./run-task.js";
import { createSignal, sleep, withDeadline } from "./signal.js";
import { createTimers, type Timings } from "./timers.js";

export { DEFAULT_TIMINGS, type Timings } from "./timers.js";

/**
 * Time given to returning in-flight tasks at shutdown. Not longer: when
 * Redis does not answer, the copies are safe in the in-flight list and
 * another worker's reaper returns them once the heartbeat expires.
 */
const RELEASE_TIMEOUT_MS = 2000;

/**
 * How long a busy polling worker lets finished tasks gather before it
 * claims more: short beside a REST round trip, long beside a quick task.
 */
const CLAIM_GATHER_MS = 10;

/** Ids named in one "outcomes not recorded" warning. */
const MAX_LOGGED_IDS = 20;

/** Options of `createWorker`. */
export interface WorkerOptions {
  id: string;
  queue: WorkerQueue;
  db: Database;
  ctx: HandlerContext;
  /** Tasks in flight at once (`--concurrency`). */
  concurrency: number;
  policy: RetryPolicy;
  /** A task still running after this long fails as transient. */
  taskTimeoutMs: number;
  /** Exit once the queue, retries and every in-flight list are empty. */
  drain: boolean;
  /** How long a graceful stop waits for in-flight tasks. */
  shutdownTimeoutMs: number;
  /** Log one line per finished task. */
  logTasks: boolean;
  timings: Timings;
  logger: Logger;
  /** Shown in the heartbeat and logs: `tcp 127.0.0.1:6379`, `rest host`. */
  transport: string;
  version: string;
}

/** Counters of one worker's life. */
export interface WorkerTotals {
  processed: number;
  failed: number;
  retried: number;
  recovered: number;
  /** Tasks returned to the queue at shutdown. */
  returned: number;
}

/** A running worker. */
export interface Worker {
  readonly events: TypedEmitter<WorkerEvents>;
  /** Runs until drained or stopped; resolves with the totals. */
  run(): Promise<WorkerTotals>;
  /**
   * First call: stop fetching and let in-flight tasks finish (up to the
   * shutdown timeout). Second call: return them to the queue at once.
   */
  stop(reason: string): void;
}

/** Creates a worker; nothing happens until `run`. */
export function createWorker(options: WorkerOptions): Worker {
  const { queue, logger, id } = options;
  const events = new TypedEmitter<WorkerEvents>();
  const log = logger.child({ worker: id });
  const wake = createSignal();
  const totals: WorkerTotals = {
    processed: 0,
    failed: 0,
    retried: 0,
    recovered: 0,
    returned: 0,
  };
  /** Claimed tasks waiting for a slot, oldest first (their held slots). */
  const ready: number[] = [];
  /** Tasks whose handler runs now: at most --concurrency. */
  let active = 0;
  /**
   * Tasks from their start until their outcome is written. A count, not a
   * Set of their promises: see held-entries.ts for what a Set costs here.
   */
  let running = 0;
  /** Tasks promised to claims whose reply has not come yet. */
  let reserved = 0;
  /**
   * Tasks whose outcome is being written: they leave in the step whose
   * claim brings their replacements, so they count as gone already.
   */
  let acking = 0;
  const claimAhead = createClaimAhead(options.concurrency);
  const startedAt = new Date().toISOString();
  let isStopping = false;
  let isAbandoned = false;
  let isDatabaseDown = false;
  let isAdopting = false;
  let redisFailures = 0;
  /** The last claim found the queue paused (logged once per pause). */
  let isPaused = false;
  let pollDelayMs = options.timings.pollMs;
  let seenUncertain = queue.uncertainRequests();
  /** Entries of our in-flight list that a task of ours owns. */
  const held = createHeldEntries();
  let requestsPerMin: number | undefined;
  let abandonTimer: NodeJS.Timeout | undefined;
  let onStop = () => {};
  const stopRequested = new Promise<void>((resolve) => (onStop = resolve));

  const info = (): WorkerInfo => ({
    id,
    host: hostname(),
    pid: process.pid,
    started_at: startedAt,
    concurrency: options.concurrency,
    in_flight: running + ready.length,
    processed: totals.processed,
    failed: totals.failed,
    transport: options.transport,
    requests: queue.requests(),
    requests_per_min: requestsPerMin ?? requestRateSinceStart(),
    version: options.version,
  });

  /** Until the first summary measures it: the rate since the start. */
  function requestRateSinceStart(): number {
    const minutes = (Date.now() - Date.parse(startedAt)) / 60_000;
    return minutes > 0 ? Math.round(queue.requests() / minutes) : 0;
  }

  /**
   * The wait of a polling worker that found nothing: doubles from
   * --poll-interval up to maxPollMs; `start` resets it when work arrives.
   */
  function nextPollDelay(): number {
    const delay = pollDelayMs;
    pollDelayMs = Math.min(pollDelayMs * 2, options.timings.maxPollMs);
    return delay;
  }

  /** How many more tasks may be claimed now (see claim-ahead.ts). */
  const room = () =>
    claimAhead.capacity() - ready.length - (running - acking) - reserved;

  /** Whether claimed tasks may start (and more be claimed). */
  const mayFetch = () => !isStopping && !isDatabaseDown;

  /**
   * Claims up to `max` tasks with `claim`, counting them as claimed
   * meanwhile so that two claims at once never take more than the room.
   */
  async function claimInto<T>(
    max: number,
    claim: () => Promise<T>,
    claimed: (reply: T) => string[] | null,
  ): Promise<T> {
    reserved += max;
    try {
      const reply = await claim();
      accept(claimed(reply) ?? []);
      return reply;
    } finally {
      reserved -= max;
      // adoptOrphans waits for claims in flight to settle.
      wake.notify();
    }
  }

  const acks = createAckBuffer({
    write: async (batch, write) => {
      // This batch leaves in the same step: claim for its room too, up to
      // one batch, unless fetching has stopped (a stop, the database away).
      acking += batch.length;
      let skipped: Ack[];
      try {
        const max =
          mayFetch() && !isAdopting ? Math.min(room(), options.concurrency) : 0;
        ({ skipped } = await claimInto(
          max,
          () => queue.acknowledgeAndClaim(batch, max, write),
          (reply) => reply.claimed,
        ));
      } finally {
        acking -= batch.length;
      }
      // A skipped outcome may well be recorded: by this very batch, sent
      // again after its reply was lost. So all of them are announced.
      if (skipped.length > 0) {
        const ids = skipped.map((ack) => ack.record.id);
        log.warn(
          { skipped: skipped.length, ids: ids.slice(0, MAX_LOGGED_IDS) },
          "outcomes not recorded: their tasks were no longer in flight here " +
            "(already recorded, or returned to the queue after a lost heartbeat)",
        );
      }
    },
    // Half a batch goes at once; a trickle of slow tasks shares a tick.
    flushAt: Math.ceil(options.concurrency / 2),
    // One batch per request, so that two batches travel side by side.
    batchSize: options.concurrency,
    isBusy: () => active > 0,
    onWritten: (batch) => batch.forEach(announce),
    onWriteError: (error, attempt) =>
      log.warn({ err: toError(error), attempt }, "writing outcomes failed"),
  });

  function announce(ack: Ack): void {
    const { record } = ack;
    const fields = {
      id: record.id,
      tipo: record.tipo,
      intentos: record.intentos,
      duracion_ms: record.duracion_ms,
    };
    if (ack.kind === "procesada") {
      totals.processed++;
      if (options.logTasks) log.info(fields, "task processed");
    } else if (ack.kind === "fallida") {
      totals.failed++;
      if (options.logTasks)
        log.error({ ...fields, error: record.error }, "task failed");
    }
    if (ack.kind !== "reintento") {
      events.emit("task:finished", { record, outcome: ack.kind });
      return;
    }
    totals.retried++;
    if (options.logTasks) {
      const retry_at = new Date(ack.retryAt).toISOString();
      log.warn(
        { ...fields, error: record.error, retry_at },
        "task will be retried",
      );
    }
    events.emit("task:finished", {
      record,
      outcome: ack.kind,
      retryAt: ack.retryAt,
    });
  }

  /** Takes claimed tasks in: they start as slots free up. */
  function accept(raws: string[]): void {
    if (raws.length === 0) return;
    pollDelayMs = options.timings.pollMs;
    events.emit("task:claimed", { worker: id, count: raws.length });
    for (const raw of raws) ready.push(held.hold(raw));
    startReady();
  }

  /** Starts waiting tasks while slots are free and fetching goes on. */
  function startReady(): void {
    while (active < options.concurrency && ready.length > 0 && mayFetch()) {
      start(ready.shift() as number);
    }
  }

  function start(slot: number): void {
    const raw = held.entry(slot);
    active++;
    running++;
    const task = (async () => {
      const run = await runTask(raw, {
        worker: id,
        policy: options.policy,
        taskTimeoutMs: options.taskTimeoutMs,
        ctx: options.ctx,
      });
      // The slot is free as soon as the handler is: the next task starts
      // while this outcome is being written.
      active--;
      claimAhead.observe(run.ack.record.duracion_ms);
      if (run.isDatabaseDown) markDatabaseDown(run.ack.record.error?.mensaje);
      startReady();
      await acks.add(run.ack);
      held.release(slot);
    })();
    void task.finally(() => {
      running--;
      wake.notify();
    });
  }

  /**
   * A claim sent again after a lost reply may have moved tasks into our
   * in-flight list that no task runs; nothing else would start them before
   * this worker exits. Starts every entry of the list that no running task
   * holds. Costs one request, and only after such a retry.
   */
  async function adoptOrphans(): Promise<void> {
    // A claim in flight may have moved tasks that `held` lacks so far:
    // let every claim settle, and start none, while the list is read.
    isAdopting = true;
    let entries: string[];
    try {
      while (reserved > 0 && !isStopping) await wake.wait();
      entries = await queue.inFlightEntries();
    } finally {
      isAdopting = false;
    }
    const unmatched = held.counts();
    const orphans: string[] = [];
    for (const entry of entries) {
      const count = unmatched.get(entry) ?? 0;
      if (count > 0) unmatched.set(entry, count - 1);
      else orphans.push(entry);
    }
    if (orphans.length === 0) return;
    log.warn(
      { count: orphans.length },
      "starting tasks claimed by a request whose reply was lost",
    );
    accept(orphans);
  }

  function markDatabaseDown(reason = "unreachable"): void {
    if (isDatabaseDown) return;
    isDatabaseDown = true;
    log.warn(
      { reason },
      "database unreachable; fetching paused until it answers",
    );
    events.emit("connection:lost", { service: "postgres", reason });
  }

  async function waitForDatabase(): Promise<void> {
    for (let attempt = 0; !isStopping; attempt++) {
      await wake.wait(Math.min(500 * 2 ** attempt, 5000));
      try {
        await options.db.ping();
        isDatabaseDown = false;
        log.info("database reachable again; fetching resumed");
        events.emit("connection:restored", { service: "postgres" });
        startReady();
        return;
      } catch {
        // Still down: keep waiting; the first failure was already logged.
      }
    }
  }

  async function onRedisError(error: unknown): Promise<void> {
    redisFailures++;
    if (redisFailures === 1) {
      log.warn({ err: toError(error) }, "fetching from Redis failed; retrying");
    }
    await wake.wait(Math.min(100 * 2 ** redisFailures, 2000));
  }

  /** Blocks for one task when idle (TCP); returns whatever it claimed. */
  async function waitForTask(
    blockingClaim: (timeoutSeconds: number) => Promise<string | null>,
    free: number,
  ): Promise<string[]> {
    const first = await blockingClaim(options.timings.blockSeconds);
    if (first === null || isStopping) return first === null ? [] : [first];
    // The follow-up claim also tells whether a pause arrived meanwhile.
    const more = await queue.claim(Math.max(free - 1, 0));
    if (more === null) {
      await queue.unclaim(first);
      return [];
    }
    return [first, ...more];
  }

  async function isDrained(): Promise<boolean> {
    if (running > 0 || acks.size > 0 || ready.length > 0) return false;
    return (await queue.remainingWork()) === 0;
  }

  async function fetchLoop(): Promise<void> {
    while (!isStopping) {
      if (isDatabaseDown) {
        // TODO: limpiar_cache needs no database but waits too; fetching
        // by tipo would need a queue per tipo, which the wire contract lacks.
        await waitForDatabase();
        continue;
      }
      let free = Math.min(room(), options.concurrency);
      if (free <= 0) {
        await wake.wait();
        continue;
      }
      if (queue.isPolling && running > 0 && free < options.concurrency / 2) {
        // Each claim is an HTTP request: let a few more tasks finish so
        // that one claim brings several.
        await sleep(CLAIM_GATHER_MS);
        free = Math.min(room(), options.concurrency);
        if (free <= 0) continue;
      }
      try {
        if (queue.uncertainRequests() !== seenUncertain) {
          seenUncertain = queue.uncertainRequests();
          await adoptOrphans();
          continue;
        }
        const claimed = await claimInto(
          free,
          () => queue.claim(free),
          (reply) => reply,
        );
        redisFailures = 0;
        if (claimed === null) {
          if (!isPaused) {
            isPaused = true;
            log.warn(
              "queue paused (batchctl pause); waiting for batchctl resume",
            );
          }
          events.emit("worker:idle", { worker: id, reason: "paused" });
          // A paused polling worker backs off too: a pause may last hours.
          await wake.wait(
            queue.isPolling ? nextPollDelay() : options.timings.pausedPollMs,
          );
          continue;
        }
        if (isPaused) {
          isPaused = false;
          log.info("queue resumed; fetching again");
        }
        if (claimed.length > 0) continue;
        if (options.drain && (await isDrained())) return;
        if (options.drain && running > 0) {
          // Wake as soon as a task finishes, to see whether that was the last.
          await wake.wait(options.timings.pollMs);
          continue;
        }
        const blockingClaim = queue.claimBlocking;
        if (!blockingClaim) {
          events.emit("worker:idle", { worker: id, reason: "empty" });
          await wake.wait(nextPollDelay());
          continue;
        }
        const waited = await claimInto(
          free,
          () => waitForTask(blockingClaim, free),
          (reply) => reply,
        );
        if (waited.length === 0) {
          events.emit("worker:idle", { worker: id, reason: "empty" });
        }
      } catch (error) {
        if (isStopping) return;
        await onRedisError(error);
      }
    }
  }

  async function waitForRunningTasks(): Promise<void> {
    while (running > 0 && !isAbandoned) await wake.wait();
  }

  async function shutdown(): Promise<void> {
    timers.stop();
    await waitForRunningTasks();
    clearTimeout(abandonTimer);
    if (isAbandoned) acks.abandon();
    try {
      totals.returned = await withDeadline(
        queue.releaseAll(),
        RELEASE_TIMEOUT_MS,
        () => new Error(`Redis did not answer within ${RELEASE_TIMEOUT_MS} ms`),
      );
    } catch (error) {
      log.error(
        { err: toError(error) },
        "in-flight tasks not returned; another worker recovers them once the heartbeat expires",
      );
    }
    events.emit("worker:stopped", { returned: totals.returned });
  }

  const timers = createTimers({
    queue,
    timings: options.timings,
    info,
    log,
    totals,
    events,
    worker: id,
    requests: () => queue.requests(),
    onRequestRate: (perMinute) => (requestsPerMin = perMinute),
  });

  return {
    events,
    async run() {
      // Redis may be down at start: a stop must not wait for it to return.
      const registering = queue.heartbeat(
        info(),
        options.timings.heartbeatTtlMs,
      );
      registering.catch(() => {});
      const registered = await Promise.race([
        registering.then(() => true),
        stopRequested.then(() => false),
      ]);
      if (!registered) {
        log.info("stopped before Redis answered; nothing was fetched");
        return totals;
      }
      timers.start();
      log.info(
        {
          concurrency: options.concurrency,
          transport: options.transport,
          database: options.db.description,
          drain: options.drain,
        },
        "worker started",
      );
      events.emit("worker:started", {
        worker: id,
        concurrency: options.concurrency,
      });
      try {
        await fetchLoop();
        if (!isStopping) log.info("queue drained");
      } finally {
        await shutdown();
      }
      log.info({ ...totals }, "worker stopped");
      return totals;
    },
    stop(reason) {
      if (isStopping) {
        log.warn("second stop: returning in-flight tasks to the queue now");
        isAbandoned = true;
        wake.notify();
        return;
      }
      isStopping = true;
      onStop();
      log.info(
        { reason, in_flight: running },
        "stopping: no new tasks, waiting for in-flight ones",
      );
      events.emit("worker:stopping", { reason, inFlight: running });
      queue.interruptBlocking();
      abandonTimer = setTimeout(() => {
        log.warn(
          "shutdown timeout reached; returning in-flight tasks to the queue",
        );
        isAbandoned = true;
        wake.notify();
      }, options.shutdownTimeoutMs);
      wake.notify();
    },
  };
}
