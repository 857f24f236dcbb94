/**
 * Runs a real worker in-process against the real Redis and a real
 * database, with short timings so tests stay quick.
 */
import { DEFAULT_FUNCTIONS } from "../../src/common/config.js";
import { createSilentLogger } from "../../src/common/logger.js";
import type { Database } from "../../src/db/index.js";
import {
  createWorkerQueue,
  enqueueTasks,
  type QueueContext,
} from "../../src/queue/index.js";
import {
  createWorker,
  DEFAULT_TIMINGS,
  type Worker,
  type WorkerOptions,
} from "../../src/worker/index.js";

let counter = 0;

/** Creates a worker on `queue` and `db`; `overrides` replace any option. */
export function createTestWorker(
  queue: QueueContext,
  db: Database,
  overrides: Partial<WorkerOptions> = {},
): Worker {
  const id = `test-worker-${process.pid}-${++counter}`;
  return createWorker({
    id,
    queue: createWorkerQueue({ ...queue, worker: id }),
    db,
    ctx: {
      db,
      functions: { ...DEFAULT_FUNCTIONS },
      redis: queue.transport,
      keys: queue.keys,
    },
    concurrency: 4,
    policy: { maxAttempts: 3, baseMs: 20, maxMs: 100 },
    taskTimeoutMs: 10_000,
    drain: true,
    shutdownTimeoutMs: 5000,
    logTasks: false,
    timings: {
      ...DEFAULT_TIMINGS,
      heartbeatMs: 300,
      heartbeatTtlMs: 1000,
      recoverMs: 300,
      promoteMs: 20,
      blockSeconds: 0.2,
      pollMs: 20,
      maxPollMs: 200,
    },
    logger: createSilentLogger(),
    transport: `${queue.transport.kind} test`,
    version: "test",
    ...overrides,
  });
}

/** Pushes raw entries as a producer would (no validation, no id). */
export async function pushRaw(queue: QueueContext, ...raws: string[]) {
  await queue.transport.command("RPUSH", queue.keys.pending, ...raws);
}

/** Enqueues valid tasks through the operations layer; returns their ids. */
export async function enqueue(queue: QueueContext, ...tasks: object[]) {
  return (await enqueueTasks(queue, tasks)).map((task) => task.id as string);
}

/** Drains the queue with a fresh worker and returns its totals. */
export function drain(
  queue: QueueContext,
  db: Database,
  overrides: Partial<WorkerOptions> = {},
) {
  return createTestWorker(queue, db, overrides).run();
}
