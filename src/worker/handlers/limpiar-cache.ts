import { TaskError } from "../../common/errors.js";
import type { LimpiarCache } from "../../common/task.js";
import { queueKeyIssue, unlinkKeys } from "../../queue/index.js";
import type { Handler } from "./types.js";

/**
 * Deletes exactly the listed keys (UNLINK, never a pattern; on a Redis
 * Cluster one UNLINK per hash slot); returns how many existed. Refuses
 * keys of the queue itself: a cache purge must never be able to drop
 * pending tasks or records.
 */
export const limpiarCache: Handler<LimpiarCache> = async (task, ctx) => {
  const issue = queueKeyIssue(ctx.keys, task.claves);
  if (issue) throw new TaskError("validacion", issue);

  const deleted = await unlinkKeys(ctx.redis, task.claves);
  return { claves: task.claves.length, borradas: deleted };
};
