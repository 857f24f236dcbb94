/**
 * What every task handler receives and returns.
 */
import type { FunctionTipo } from "../../common/config.js";
import type { Database } from "../../db/index.js";
import type { QueueKeys, RedisTransport } from "../../queue/index.js";

/** The dependencies a handler may use. */
export interface HandlerContext {
  db: Database;
  /** Database function name for each tipo (BATCH_FN_<TIPO>). */
  functions: Record<FunctionTipo, string>;
  /** The Redis the cache keys live in (the queue's own Redis). */
  redis: RedisTransport;
  keys: QueueKeys;
}

/** Runs one validated task; returns its `resultado`, throws TaskError. */
export type Handler<T> = (task: T, ctx: HandlerContext) => Promise<unknown>;
