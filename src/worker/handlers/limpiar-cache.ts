import { TaskError } from "../../common/errors.js";
import type { LimpiarCache } from "../../common/task.js";
import { queueKeyIssue } from "../../queue/index.js";
import { DeferredDeletes, type Handler } from "./types.js";

/**
 * Deletes exactly the listed keys (UNLINK, never a pattern) and reports how
 * many existed. The delete itself is left to the acknowledgement, which
 * runs it in the step that records the outcome (DeferredDeletes). Refuses
 * keys of the queue itself: a cache purge must never be able to drop
 * pending tasks or records.
 */
export const limpiarCache: Handler<LimpiarCache> = (task, ctx) => {
  const issue = queueKeyIssue(ctx.keys, task.claves);
  if (issue) throw new TaskError("validacion", issue);

  return new DeferredDeletes(task.claves);
};
