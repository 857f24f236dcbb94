/**
 * Operations shared by the CLI, the TUI and tests: enqueue, counts.
 */
import {
  stampTask,
  TaskValidationError,
  validateTask,
  type Task,
} from "../common/task.js";
import { taskKeyIssue, type QueueKeys } from "./keys.js";
import { auditCommands, auditEntry } from "./audit.js";
import type { Command, RedisTransport } from "./transport.js";

/** A transport and the keys of one queue: what every operation needs. */
export interface QueueContext {
  transport: RedisTransport;
  keys: QueueKeys;
}

/** Values per RPUSH/ZADD inside one enqueue transaction. */
const ENQUEUE_CHUNK = 10_000;

/** Options of `enqueueTasks`. */
export interface EnqueueOptions {
  /**
   * Epoch ms when the tasks become due: they go to `P:programadas` and a
   * worker moves them to `P:procesar` then. Unset: queued now.
   */
  dueAt?: number;
  /** Who asks (`cli`, `tui`), for the audit entry. */
  origin?: string;
  /** Write an audit entry; default: only when queuing more than one task. */
  audit?: boolean;
}

/**
 * Validates, stamps (id, encolada_en) and pushes tasks to the tail of
 * `P:procesar` (or schedules them in `P:programadas` at `dueAt`) in one
 * transaction, so either all are queued or none. Queuing more than one
 * task (or any, with `audit`) appends an audit entry in that transaction.
 * Returns the stamped tasks. Throws TaskValidationError before pushing,
 * also for a `limpiar_cache` of the queue's own keys.
 */
export async function enqueueTasks(
  ctx: QueueContext,
  tasks: unknown[],
  options: EnqueueOptions = {},
): Promise<Task[]> {
  const stamped = tasks.map((task) => stampTask(validateTask(task)));
  // The worker would refuse these; refused here, nothing is queued.
  for (const [index, task] of stamped.entries()) {
    const issue = taskKeyIssue(ctx.keys, task);
    if (issue === undefined) continue;
    const which = stamped.length > 1 ? `task ${index + 1}: ` : "";
    throw new TaskValidationError([`${which}${issue}`]);
  }
  if (stamped.length === 0) return stamped;

  const values = stamped.map((task) => JSON.stringify(task));
  const commands: Command[] = [];
  for (let i = 0; i < values.length; i += ENQUEUE_CHUNK) {
    const chunk = values.slice(i, i + ENQUEUE_CHUNK);
    const { dueAt } = options;
    commands.push(
      dueAt === undefined
        ? ["RPUSH", ctx.keys.pending, ...chunk]
        : ["ZADD", ctx.keys.scheduled, ...chunk.flatMap((v) => [dueAt, v])],
    );
  }
  if (options.audit ?? stamped.length > 1) {
    const { dueAt } = options;
    const where =
      dueAt === undefined
        ? "procesar"
        : `programadas, due ${new Date(dueAt).toISOString()}`;
    const entry = auditEntry({
      command: "enqueue",
      count: stamped.length,
      detail: `${stamped.length === 1 ? "1 task" : `${stamped.length} tasks`} into ${where}`,
      origin: options.origin,
    });
    commands.push(...auditCommands(ctx.keys, entry));
  }
  await ctx.transport.transaction(commands);
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
