import { TaskError } from "../../common/errors.js";
import type { LimpiarCache } from "../../common/task.js";
import type { Handler } from "./types.js";

/**
 * Deletes exactly the listed keys (UNLINK, never a pattern); returns how
 * many existed. Refuses keys of the queue itself: a cache purge must never
 * be able to drop pending tasks or records.
 */
export const limpiarCache: Handler<LimpiarCache> = async (task, ctx) => {
  const queueKey = task.claves.findIndex((key) =>
    key.startsWith(`${ctx.keys.prefix}:`),
  );
  if (queueKey >= 0) {
    throw new TaskError(
      "validacion",
      `claves.${queueKey}: is a key of the queue itself (${ctx.keys.prefix}:...), not a cache key`,
    );
  }

  const deleted = await ctx.redis.command<number>("UNLINK", ...task.claves);
  return { claves: task.claves.length, borradas: deleted };
};
