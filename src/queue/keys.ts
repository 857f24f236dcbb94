/**
 * Redis key names of one queue (DESIGN.md section 2). Nothing else in the
 * code base builds a key.
 */

/** Every key of the queue with prefix `prefix`. */
export interface QueueKeys {
  prefix: string;
  pending: string;
  retries: string;
  scheduled: string;
  processed: string;
  failed: string;
  workers: string;
  pause: string;
  audit: string;
  /** Hash: schedule name -> what the workers running it published. */
  schedules: string;
  inFlight(worker: string): string;
  /**
   * Sorted set: ids of the worker's acknowledgement writes applied and
   * possibly sent again, so that a write is never applied twice.
   */
  acknowledged(worker: string): string;
  heartbeat(worker: string): string;
  stats(day: string): string;
  /** Marker (with a TTL) that one tick of a schedule was enqueued. */
  scheduleTick(name: string, stamp: string): string;
}

/** Builds the key names for `prefix` (e.g. `cola:batch` or `{cola:batch}`). */
export function createKeys(prefix: string): QueueKeys {
  return {
    prefix,
    pending: `${prefix}:procesar`,
    retries: `${prefix}:reintentos`,
    scheduled: `${prefix}:programadas`,
    processed: `${prefix}:procesadas`,
    failed: `${prefix}:fallidas`,
    workers: `${prefix}:workers`,
    pause: `${prefix}:pausa`,
    audit: `${prefix}:auditoria`,
    schedules: `${prefix}:horarios`,
    inFlight: (worker) => `${prefix}:procesando:${worker}`,
    acknowledged: (worker) => `${prefix}:acuses:${worker}`,
    heartbeat: (worker) => `${prefix}:worker:${worker}`,
    stats: (day) => `${prefix}:stats:${day}`,
    scheduleTick: (name, stamp) => `${prefix}:horario:${name}:${stamp}`,
  };
}

/** The UTC day `YYYY-MM-DD` of a timestamp, as used in stats keys. */
export function statsDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Why `names` may not be purged as cache keys, or undefined when they may:
 * a key of the queue itself (under `prefix:`) is refused, so a cache purge
 * can never drop pending tasks or records. Names the first such key.
 */
export function queueKeyIssue(
  keys: QueueKeys,
  names: string[],
): string | undefined {
  const at = names.findIndex((name) => name.startsWith(`${keys.prefix}:`));
  if (at < 0) return undefined;
  return `claves.${at}: is a key of the queue itself (${keys.prefix}:...), not a cache key`;
}

/**
 * `queueKeyIssue` for a task: the keys a `limpiar_cache` task would delete
 * may not be the queue's own. Undefined for other tipos.
 */
export function taskKeyIssue(
  keys: QueueKeys,
  task: { tipo: string; claves?: string[] },
): string | undefined {
  if (task.tipo !== "limpiar_cache" || !task.claves) return undefined;
  return queueKeyIssue(keys, task.claves);
}
