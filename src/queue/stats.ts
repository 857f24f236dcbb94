/**
 * `stats` and `check`: the counts of every list, the pause, live workers,
 * today's counters, the oldest pending task and the current rate, read in
 * a couple of round trips; and the pure threshold check over them.
 */
import { statsDay } from "./keys.js";
import type { QueueContext } from "./operations.js";
import { parseRecord } from "./records.js";
import { schedulesOf, type ScheduleStatus } from "./schedules.js";
import type { Command } from "./transport.js";
import type { WorkerHeartbeat } from "./worker-queue.js";

/** Per-tipo counters of one day (`P:stats:<day>`). */
export interface TipoCounts {
  procesadas: number;
  fallidas: number;
  reintentos: number;
}

/** One registered worker (`P:workers` member). */
export interface WorkerStatus {
  id: string;
  /** Its heartbeat key exists; a dead worker's tasks are soon recovered. */
  alive: boolean;
  /** Since its last heartbeat; null when dead or unknown. */
  heartbeat_age_ms: number | null;
  /** Length of its in-flight list. */
  in_flight: number;
  /** What its heartbeat says (host, pid, concurrency, totals...). */
  info: WorkerHeartbeat | undefined;
}

/** How `rate` was measured. */
export type RateSource = "samples" | "records";

/** Everything `batchctl stats` shows; field names are its `--json`. */
export interface QueueStats {
  /** When it was read, ISO-8601. */
  at: string;
  /**
   * How this reader reaches Redis: `tcp 127.0.0.1:6379`, `rest <host>`;
   * the host only, never a password or token.
   */
  transport: string;
  /**
   * Requests per minute that the live workers send to Redis lately (from
   * their heartbeats): what a REST plan bills.
   */
  requests_per_min: number;
  counts: {
    procesar: number;
    procesando: number;
    reintentos: number;
    programadas: number;
    procesadas: number;
    fallidas: number;
  };
  pause: {
    paused: boolean;
    /** Time left of a `pause --for`; null when paused until resumed. */
    expires_in_ms: number | null;
  };
  workers: WorkerStatus[];
  today: {
    /** UTC day of the counters, `YYYY-MM-DD`. */
    day: string;
    totals: TipoCounts;
    by_tipo: Record<string, TipoCounts>;
  };
  /**
   * Age of the task at the head of procesar (from its `encolada_en`);
   * null when the queue is empty or the task has no `encolada_en`.
   */
  oldest_pending_age_ms: number | null;
  /**
   * Tasks finished (processed + failed) per second. `samples`: from the
   * change of today's counters since the previous read (`--watch`);
   * `records`: from the `terminada_en` of the newest records, over the
   * last minute. Null when it cannot be told.
   */
  rate: { per_second: number; source: RateSource; window_ms: number } | null;
  /** Periodic tasks the live workers run, by name, with their next run. */
  schedules: ScheduleStatus[];
}

/** Records per list read to estimate the rate without a previous sample. */
const RATE_SAMPLE = 500;
/** The rate from records covers this much of the recent past. */
const RATE_WINDOW_MS = 60_000;

/**
 * Reads the queue's stats. Pass the previous result as `previous` (as
 * `stats --watch` does) to measure the rate from two samples of today's
 * counters; otherwise it is estimated from the newest records.
 */
export async function queueStats(
  ctx: QueueContext,
  previous?: QueueStats,
): Promise<QueueStats> {
  const { keys, transport } = ctx;
  const now = new Date();
  const day = statsDay(now);
  const workers = (
    await transport.command<string[]>("SMEMBERS", keys.workers)
  ).sort();
  const fixed: Command[] = [
    ["LLEN", keys.pending],
    ["ZCARD", keys.retries],
    ["ZCARD", keys.scheduled],
    ["LLEN", keys.processed],
    ["LLEN", keys.failed],
    ["PTTL", keys.pause],
    ["HGETALL", keys.stats(day)],
    ["LINDEX", keys.pending, 0],
    ["HGETALL", keys.schedules],
  ];
  const perWorker = workers.flatMap((id): Command[] => [
    ["GET", keys.heartbeat(id)],
    ["PTTL", keys.heartbeat(id)],
    ["LLEN", keys.inFlight(id)],
  ]);
  const replies = await transport.pipeline([...fixed, ...perWorker]);

  const [pending, retries, scheduled, processed, failed] = replies
    .slice(0, 5)
    .map(Number) as [number, number, number, number, number];
  const pausePttl = Number(replies[5]);
  const today = countersOf(day, replies[6]);
  const workerStatus = workers.map((id, i) =>
    workerStatusOf(id, replies.slice(fixed.length + i * 3)),
  );
  const stats: QueueStats = {
    at: now.toISOString(),
    transport: `${transport.kind} ${transport.target}`,
    requests_per_min: workerStatus.reduce(
      (sum, w) => sum + (w.alive ? (w.info?.requests_per_min ?? 0) : 0),
      0,
    ),
    counts: {
      procesar: pending,
      procesando: workerStatus.reduce((sum, w) => sum + w.in_flight, 0),
      reintentos: retries,
      programadas: scheduled,
      procesadas: processed,
      fallidas: failed,
    },
    pause: {
      // PTTL: -2 no key, -1 no expiry, else ms left.
      paused: pausePttl !== -2,
      expires_in_ms: pausePttl >= 0 ? pausePttl : null,
    },
    workers: workerStatus,
    today,
    oldest_pending_age_ms: ageOf(replies[7], now),
    rate: null,
    schedules: schedulesOf(replies[8], now),
  };

  stats.rate =
    sampleRate(stats, previous) ?? (await recordRate(ctx, now.getTime()));
  return stats;
}

/** The lengths and the oldest pending age: what metrics read per scrape. */
export interface QueueDepths {
  counts: QueueStats["counts"];
  /** As in QueueStats: null when empty or without `encolada_en`. */
  oldest_pending_age_ms: number | null;
  /** Registered workers (`P:workers` members). */
  workers: number;
}

/**
 * Reads the length of every list and zset and the age of the head of
 * procesar, in two round trips (cheaper than queueStats: no records read).
 */
export async function queueDepths(ctx: QueueContext): Promise<QueueDepths> {
  const { keys, transport } = ctx;
  const now = new Date();
  const workers = await transport.command<string[]>("SMEMBERS", keys.workers);
  const replies = await transport.pipeline([
    ["LLEN", keys.pending],
    ["ZCARD", keys.retries],
    ["ZCARD", keys.scheduled],
    ["LLEN", keys.processed],
    ["LLEN", keys.failed],
    ["LINDEX", keys.pending, 0],
    ...workers.map((id): Command => ["LLEN", keys.inFlight(id)]),
  ]);
  const [procesar, reintentos, programadas, procesadas, fallidas] = replies
    .slice(0, 5)
    .map(Number) as [number, number, number, number, number];

  return {
    counts: {
      procesar,
      procesando: replies.slice(6).reduce<number>((n, r) => n + Number(r), 0),
      reintentos,
      programadas,
      procesadas,
      fallidas,
    },
    oldest_pending_age_ms: ageOf(replies[5], now),
    workers: workers.length,
  };
}

function countersOf(day: string, reply: unknown): QueueStats["today"] {
  const totals: TipoCounts = { procesadas: 0, fallidas: 0, reintentos: 0 };
  // A Map, not an object: a field written by an older worker may be named
  // after any tipo a producer sent, `__proto__` included.
  const byTipo = new Map<string, TipoCounts>();
  for (const [field, value] of hashEntries(reply)) {
    // Fields are `<tipo>:<kind>s` (see buildAckCommands in worker-queue).
    const cut = field.lastIndexOf(":");
    const tipo = field.slice(0, cut);
    const kind = field.slice(cut + 1);
    if (!(
      kind === "procesadas" ||
      kind === "fallidas" ||
      kind === "reintentos"
    ))
      continue;
    const counts = byTipo.get(tipo) ?? {
      procesadas: 0,
      fallidas: 0,
      reintentos: 0,
    };
    counts[kind] += Number(value);
    byTipo.set(tipo, counts);
    totals[kind] += Number(value);
  }
  return { day, totals, by_tipo: Object.fromEntries(byTipo) };
}

/** HGETALL replies as pairs: a flat array (RESP2) or an object. */
function hashEntries(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      pairs.push([String(reply[i]), String(reply[i + 1])]);
    }
    return pairs;
  }
  if (reply && typeof reply === "object") {
    return Object.entries(reply).map(([k, v]) => [k, String(v)]);
  }
  return [];
}

/**
 * A heartbeat's value when it has the shape this version writes; anything
 * else (another version's, one written by hand) is unreadable: undefined.
 */
function readHeartbeat(value: unknown): WorkerHeartbeat | undefined {
  let info: unknown;
  try {
    info = JSON.parse(String(value));
  } catch {
    return undefined;
  }
  if (typeof info !== "object" || info === null) return undefined;
  const fields = info as Record<string, unknown>;
  const isOptional = (name: string, type: string) =>
    fields[name] === undefined || typeof fields[name] === type;
  const isWellFormed =
    ["concurrency", "processed", "failed"].every((name) =>
      Number.isFinite(fields[name]),
    ) &&
    typeof fields.started_at === "string" &&
    // The polling upkeep writes the info alone, without these two.
    isOptional("heartbeat_ttl_ms", "number") &&
    isOptional("heartbeat_at", "string");
  return isWellFormed ? (info as WorkerHeartbeat) : undefined;
}

function workerStatusOf(id: string, replies: unknown[]): WorkerStatus {
  const [value, pttl, inFlight] = replies;
  // A heartbeat we cannot read still proves the worker is alive.
  const info = value ? readHeartbeat(value) : undefined;
  const ttl = Number(pttl);
  const alive = value !== null && value !== undefined;
  let age: number | null = null;
  if (alive && info?.heartbeat_ttl_ms !== undefined && ttl >= 0) {
    age = Math.max(0, info.heartbeat_ttl_ms - ttl);
  } else if (alive && info?.heartbeat_at) {
    age = Math.max(0, Date.now() - Date.parse(info.heartbeat_at));
  }
  return {
    id,
    alive,
    heartbeat_age_ms: Number.isFinite(age) ? age : null,
    in_flight: Number(inFlight),
    info,
  };
}

function ageOf(head: unknown, now: Date): number | null {
  if (typeof head !== "string") return null;
  try {
    const task = JSON.parse(head) as { encolada_en?: unknown };
    if (typeof task.encolada_en !== "string") return null;
    const at = Date.parse(task.encolada_en);
    return Number.isNaN(at) ? null : Math.max(0, now.getTime() - at);
  } catch {
    return null;
  }
}

function finished(stats: QueueStats): number {
  return stats.today.totals.procesadas + stats.today.totals.fallidas;
}

function sampleRate(
  current: QueueStats,
  previous: QueueStats | undefined,
): QueueStats["rate"] {
  if (!previous || previous.today.day !== current.today.day) return null;
  const windowMs = Date.parse(current.at) - Date.parse(previous.at);
  const delta = finished(current) - finished(previous);
  if (windowMs <= 0 || delta < 0) return null;
  return {
    per_second: (delta * 1000) / windowMs,
    source: "samples",
    window_ms: windowMs,
  };
}

/**
 * Counts records of both lists finished in the last minute, from the
 * newest 500 of each. When all 500 are that recent, the window shrinks to
 * the oldest of them, so a fast queue is not under-counted.
 */
async function recordRate(
  ctx: QueueContext,
  now: number,
): Promise<QueueStats["rate"]> {
  const { keys, transport } = ctx;
  const lists = (await transport.pipeline([
    ["LRANGE", keys.processed, 0, RATE_SAMPLE - 1],
    ["LRANGE", keys.failed, 0, RATE_SAMPLE - 1],
  ])) as string[][];

  let since = now - RATE_WINDOW_MS;
  const times: number[][] = lists.map((entries) =>
    entries
      .map((raw) => Date.parse(parseRecord(raw)?.terminada_en ?? ""))
      .filter((at) => !Number.isNaN(at)),
  );
  for (const list of times) {
    const oldest = list[list.length - 1];
    if (list.length === RATE_SAMPLE && oldest !== undefined && oldest > since) {
      since = oldest;
    }
  }
  const count = times.flat().filter((at) => at >= since).length;
  const windowMs = Math.max(1, now - since);
  return {
    per_second: (count * 1000) / windowMs,
    source: "records",
    window_ms: windowMs,
  };
}

/** Limits of `batchctl check`; each one is optional. */
export interface ThresholdLimits {
  /** Most tasks allowed in procesar. */
  maxPending?: number;
  /** Oldest allowed age of the head of procesar, ms. */
  maxOldestMs?: number;
  /** Most records allowed in fallidas. */
  maxFailed?: number;
}

/** One checked limit. */
export interface ThresholdResult {
  /** The flag that set it, e.g. `--max-pending`. */
  flag: "--max-pending" | "--max-oldest" | "--max-failed";
  /** What was measured: a count, or ms for `--max-oldest` (null: unknown). */
  value: number | null;
  limit: number;
  exceeded: boolean;
}

/**
 * Compares `stats` with each given limit; returns one result per limit
 * given, in flag order. An unknown oldest age (producers' tasks without
 * `encolada_en`) never counts as exceeded.
 */
export function checkThresholds(
  stats: QueueStats,
  limits: ThresholdLimits,
): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const add = (
    flag: ThresholdResult["flag"],
    value: number | null,
    limit: number | undefined,
  ) => {
    if (limit === undefined) return;
    results.push({ flag, value, limit, exceeded: (value ?? 0) > limit });
  };

  add("--max-pending", stats.counts.procesar, limits.maxPending);
  add("--max-oldest", stats.oldest_pending_age_ms, limits.maxOldestMs);
  add("--max-failed", stats.counts.fallidas, limits.maxFailed);
  return results;
}
