import { TaskError } from "../../common/errors.js";
import type { LimpiarCache } from "../../common/task.js";
import { queueKeyIssue, unlinkKeys } from "../../queue/index.js";
import { DeferredDeletes, type Handler } from "./types.js";

/**
 * Deletes exactly the listed keys (UNLINK, never a pattern) and reports how
 * many existed. On one server (TCP or REST) the delete is left to the
 * acknowledgement, which runs it in the step that records the outcome
 * (DeferredDeletes); on a Redis Cluster, whose scripts may only touch the
 * queue's own slot, it sends one UNLINK per hash slot itself. Refuses keys
 * of the queue itself: a cache purge must never be able to drop pending
 * tasks or records.
 */
export const limpiarCache: Handler<LimpiarCache> = (task, ctx) => {
  const issue = queueKeyIssue(ctx.keys, task.claves);
  if (issue) throw new TaskError("validacion", issue);

  if (ctx.redis.kind !== "cluster") return new DeferredDeletes(task.claves);
  return unlinkKeys(ctx.redis, task.claves).then((borradas) => ({
    claves: task.claves.length,
    borradas,
  }));
};
