/**
 * Operations shared by the CLI, the TUI and tests: enqueue, counts.
 */
import { stampTask, validateTask, type Task } from "../common/task.js";
import type { QueueKeys } from "./keys.js";
import type { RedisTransport } from "./transport.js";

/** A transport and the keys of one queue: what every operation needs. */
export interface QueueContext {
  transport: RedisTransport;
  keys: QueueKeys;
}

/**
 * Validates, stamps (id, encolada_en) and pushes tasks to the tail of
 * `P:procesar` in one command, so either all are queued or none.
 * Returns the stamped tasks. Throws TaskValidationError before pushing.
 */
export async function enqueueTasks(
  ctx: QueueContext,
  tasks: unknown[],
): Promise<Task[]> {
  const stamped = tasks.map((task) => stampTask(validateTask(task)));
  if (stamped.length === 0) return stamped;

  const values = stamped.map((task) => JSON.stringify(task));
  await ctx.transport.command("RPUSH", ctx.keys.pending, ...values);
  return stamped;
}

/** Lengths of every list and zset of the queue. */
export interface QueueCounts {
  procesar: number;
  procesando: number;
  reintentos: number;
  programadas: number;
  procesadas: number;
  fallidas: number;
  workers: number;
}

/** Reads the length of every list and zset in one round trip. */
export async function countQueue(ctx: QueueContext): Promise<QueueCounts> {
  const { keys, transport } = ctx;
  const workers = await transport.command<string[]>("SMEMBERS", keys.workers);
  const replies = (
    await transport.pipeline([
      ["LLEN", keys.pending],
      ["ZCARD", keys.retries],
      ["ZCARD", keys.scheduled],
      ["LLEN", keys.processed],
      ["LLEN", keys.failed],
      ...workers.map((id) => ["LLEN", keys.inFlight(id)] as [string, string]),
    ])
  ).map(Number);
  const [procesar, reintentos, programadas, procesadas, fallidas] = replies;

  return {
    procesar: procesar ?? 0,
    procesando: replies.slice(5).reduce((sum, n) => sum + n, 0),
    reintentos: reintentos ?? 0,
    programadas: programadas ?? 0,
    procesadas: procesadas ?? 0,
    fallidas: fallidas ?? 0,
    workers: workers.length,
  };
}
