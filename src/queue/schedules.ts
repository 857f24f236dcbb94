/**
 * Periodic tasks in Redis: the enqueue of one tick (once, however many
 * workers run the schedule) and the schedules the workers publish for
 * `stats` and the TUI.
 */
import {
  nextTick,
  taskForTick,
  tickStamp,
  type Schedule,
} from "../common/schedule.js";
import type { QueueContext } from "./operations.js";
import { defineScript } from "./transport.js";

/**
 * How long the marker of an enqueued tick lives. Every worker fires a tick
 * within MAX_TICK_LATENESS_MS of it (src/worker/scheduler.ts), so this
 * covers that plus clocks up to about nine minutes apart; a per-second
 * schedule keeps 600 small markers.
 */
export const TICK_MARKER_TTL_MS = 10 * 60_000;

/**
 * KEYS: tick marker, pending. ARGV: marker ttl ms, task, worker, notAfterMs.
 * Past `notAfterMs` (Redis's clock) does nothing and returns -1: a call
 * held back by an outage must not queue a stale tick. Otherwise sets the
 * tick's marker unless it exists and, only then, queues the task; returns
 * 1 when this call queued it, 0 when another had.
 */
const enqueueTickScript = defineScript(
  "enqueue-tick",
  `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now > tonumber(ARGV[4]) then return -1 end
if not redis.call('SET', KEYS[1], ARGV[3], 'NX', 'PX', ARGV[1]) then
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
`,
);

/**
 * KEYS: schedules hash. ARGV: nowMs, ttlMs, then name, entry pairs.
 * Writes the entries, drops those whose `expires_at` passed (schedules no
 * worker runs any more) and keeps the hash for `ttlMs`.
 */
const publishSchedulesScript = defineScript(
  "publish-schedules",
  `
local now = tonumber(ARGV[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if not ok or type(entry) ~= 'table' or
      (tonumber(entry.expires_at) or 0) < now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`,
);

/** Options of `enqueueTick`. */
export interface TickOptions {
  /** Who enqueues, kept in the tick's marker. */
  worker: string;
  /** Epoch ms (Redis's clock) after which the tick is too late to queue. */
  notAfter: number;
  now?: Date;
}

/** What `enqueueTick` did. */
export type TickResult = "enqueued" | "duplicate" | "late";

/**
 * Queues the task of `schedule`'s tick at `tick`, unless a worker already
 * did: a marker per schedule and tick is set (SET NX, with a TTL) and the
 * task pushed in one script. The task id is derived from name and tick,
 * so even a marker lost with a Redis restart cannot make two different
 * tasks. `late`: Redis ran it after `notAfter`, and nothing was queued.
 */
export async function enqueueTick(
  ctx: QueueContext,
  schedule: Schedule,
  tick: Date,
  options: TickOptions,
): Promise<TickResult> {
  const task = taskForTick(schedule, tick, options.now);
  const marker = ctx.keys.scheduleTick(schedule.name, tickStamp(tick));
  const reply = await ctx.transport.script<number>(
    enqueueTickScript,
    [marker, ctx.keys.pending],
    [
      TICK_MARKER_TTL_MS,
      JSON.stringify(task),
      options.worker,
      options.notAfter,
    ],
  );
  const results: Record<string, TickResult> = {
    "1": "enqueued",
    "0": "duplicate",
  };
  return results[String(reply)] ?? "late";
}

/** What a worker publishes about one of its schedules. */
export interface PublishedSchedule {
  name: string;
  tipo: string;
  cron: string;
  timezone: string;
  /** The task's fields as given (before each tick adds its own). */
  task: Record<string, unknown>;
  /** The worker that published it last. */
  worker: string;
  published_at: string;
  /** Epoch ms after which readers ignore it (no worker refreshed it). */
  expires_at: number;
}

/**
 * Publishes `schedules` under the queue's schedules key for `ttlMs`, and
 * drops published schedules that no worker refreshed in time.
 */
export async function publishSchedules(
  ctx: QueueContext,
  schedules: Schedule[],
  options: { worker: string; ttlMs: number; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  const pairs = schedules.flatMap((schedule) => {
    const entry: PublishedSchedule = {
      name: schedule.name,
      tipo: String(schedule.task.tipo),
      cron: schedule.cron,
      timezone: schedule.timezone,
      task: schedule.task,
      worker: options.worker,
      published_at: now.toISOString(),
      expires_at: now.getTime() + options.ttlMs,
    };
    return [schedule.name, JSON.stringify(entry)];
  });
  await ctx.transport.script(
    publishSchedulesScript,
    [ctx.keys.schedules],
    [now.getTime(), options.ttlMs, ...pairs],
  );
}

/** A published schedule as `stats` shows it. */
export interface ScheduleStatus extends PublishedSchedule {
  /** The next tick after the read, ISO-8601; null when none or unreadable. */
  next_run: string | null;
}

/**
 * The live schedules in an HGETALL reply of the schedules key (a flat
 * array or an object), sorted by name, each with its next run after `now`.
 */
export function schedulesOf(reply: unknown, now: Date): ScheduleStatus[] {
  const values = Array.isArray(reply)
    ? reply.filter((_, i) => i % 2 === 1)
    : Object.values((reply ?? {}) as Record<string, unknown>);
  const found: ScheduleStatus[] = [];
  for (const value of values) {
    const entry = readPublished(value);
    // Not ours to show (another version's, or junk): the next publish
    // drops it.
    if (!entry || !(entry.expires_at >= now.getTime())) continue;
    found.push({ ...entry, next_run: nextRunOf(entry, now) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** A published schedule, when `value` has the shape publishSchedules writes. */
function readPublished(value: unknown): PublishedSchedule | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(String(value));
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null) return undefined;
  const fields = entry as Record<string, unknown>;
  const isWellFormed =
    ["name", "tipo", "cron", "timezone"].every(
      (name) => typeof fields[name] === "string",
    ) && typeof fields.expires_at === "number";
  return isWellFormed ? (entry as PublishedSchedule) : undefined;
}

function nextRunOf(entry: PublishedSchedule, now: Date): string | null {
  try {
    return nextTick(entry, now)?.toISOString() ?? null;
  } catch {
    return null; // a pattern this version cannot read
  }
}

/** Reads the live schedules. */
export async function readSchedules(
  ctx: QueueContext,
  now = new Date(),
): Promise<ScheduleStatus[]> {
  const reply = await ctx.transport.command("HGETALL", ctx.keys.schedules);
  return schedulesOf(reply, now);
}
