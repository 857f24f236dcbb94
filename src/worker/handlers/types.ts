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

/**
 * Runs one validated task; returns its `resultado`, throws TaskError. A
 * handler whose work rides on the acknowledgement returns DeferredDeletes
 * at once, without a promise (no timeout to watch, nothing to await).
 */
export type Handler<T> = (
  task: T,
  ctx: HandlerContext,
) => Promise<unknown> | DeferredDeletes;

/**
 * A handler's result whose Redis work rides on the task's acknowledgement:
 * the keys are UNLINKed by the same script that records the outcome, so a
 * batch of such tasks costs one request, and a key is deleted exactly when
 * its task's record is written. The record's `resultado` is
 * `{ claves, borradas }`, `borradas` being how many of the keys existed.
 */
export class DeferredDeletes {
  constructor(readonly claves: string[]) {}
}
