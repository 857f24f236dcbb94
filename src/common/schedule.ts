/**
 * Periodic tasks: `--schedule` specs, their cron patterns (croner, 5 or 6
 * fields) and the task each tick enqueues. Pure: the Redis side is in
 * src/queue/schedules.ts, the timers in src/worker/scheduler.ts.
 */
import { Cron } from "croner";
import { UsageError } from "./errors.js";
import { TaskValidationError, validateTask, type Task } from "./task.js";

/** Schedules are read in UTC unless `--schedule-tz` says otherwise. */
export const DEFAULT_SCHEDULE_TZ = "UTC";

/** What a schedule name may look like: it is part of task ids and keys. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** `[name:]tipo[ {json}]`, the left side of a spec. */
const TARGET_PATTERN = /^(?:([^\s:{]+):)?([a-z_]+)\s*(\{[\s\S]*\})?$/;
/** Envelope fields a tick sets itself; a schedule may not give them. */
const RESERVED_FIELDS = ["id", "encolada_en", "intentos"];

/** One periodic task: enqueue `task` (plus its tick's fields) at each tick. */
export interface Schedule {
  /** Unique among a worker's schedules; default the tipo. */
  name: string;
  /** The cron pattern as given (5 fields, or 6 with seconds first). */
  cron: string;
  /** IANA time zone the pattern is read in. */
  timezone: string;
  /** The task's fields as given (tipo included), before the tick adds any. */
  task: Record<string, unknown>;
  /** Where it was defined, for messages: `--schedule`, `file:3`. */
  source: string;
}

function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, mode: "5-or-6-parts" });
}

/**
 * Parses one spec: `tipo=cron`, `tipo {"field":...}=cron` or
 * `name:tipo {...}=cron`. The cron pattern is what follows the last `=`
 * (patterns never contain one). Throws UsageError naming `source`.
 */
export function parseSchedule(
  spec: string,
  source: string,
  timezone = DEFAULT_SCHEDULE_TZ,
): Schedule {
  const fail = (why: string): never => {
    throw new UsageError(`${source} "${spec.trim()}": ${why}`);
  };
  const cut = spec.lastIndexOf("=");
  if (cut < 0)
    fail("must be tipo=cron, e.g. procesar_tickets_vencidos=*/5 * * * *");
  const cron = spec.slice(cut + 1).trim();
  const target = TARGET_PATTERN.exec(spec.slice(0, cut).trim());
  if (!target)
    fail('the left side must be tipo, tipo {"field":...} or name:tipo');
  const [, name, tipo, json] = target as unknown as [
    string,
    string | undefined,
    string,
    string | undefined,
  ];

  let fields: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      fields = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      fail(
        `the task's fields are not valid JSON (${(error as Error).message})`,
      );
    }
  }
  const reserved = RESERVED_FIELDS.filter((field) =>
    Object.hasOwn(fields, field),
  );
  if (reserved.length > 0)
    fail(`${reserved.join(", ")}: set by each tick, not by the schedule`);
  if (Object.hasOwn(fields, "tipo") && fields.tipo !== tipo)
    fail("tipo: given twice");
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    fail("name: must be 1-64 letters, digits, '_' or '-'");
  }

  const schedule: Schedule = {
    name: name ?? tipo,
    cron,
    timezone,
    task: { ...fields, tipo },
    source,
  };
  let first: Date | null = null;
  try {
    first = cronOf(cron, timezone).nextRun();
  } catch (error) {
    fail(`cron: ${(error as Error).message}`);
  }
  if (first === null) fail("cron: the pattern never matches a date");
  try {
    taskForTick(schedule, first as Date);
  } catch (error) {
    if (error instanceof TaskValidationError) fail(error.issues.join("; "));
    throw error;
  }
  return schedule;
}

/**
 * Parses a schedule file: one spec per line as `--schedule` takes it;
 * blank lines and lines starting with `#` are skipped.
 */
export function parseScheduleFile(
  text: string,
  file: string,
  timezone = DEFAULT_SCHEDULE_TZ,
): Schedule[] {
  const schedules: Schedule[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    schedules.push(parseSchedule(trimmed, `${file}:${index + 1}`, timezone));
  });
  return schedules;
}

/** Throws UsageError when two schedules share a name (their ticks would merge). */
export function checkScheduleNames(schedules: Schedule[]): void {
  const seen = new Map<string, string>();
  for (const schedule of schedules) {
    const first = seen.get(schedule.name);
    if (first !== undefined) {
      const { source, name } = schedule;
      const example = `other:${String(schedule.task.tipo)} {...}=cron`;
      throw new UsageError(
        `${source}: name "${name}" is also used by ${first}; name one, e.g. ${example}`,
      );
    }
    seen.set(schedule.name, schedule.source);
  }
}

/** Throws UsageError when `timezone` is not an IANA time zone. */
export function checkTimezone(timezone: string, flag: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return timezone;
  } catch {
    throw new UsageError(
      `${flag}: "${timezone}" is not a time zone such as UTC or Europe/Madrid`,
    );
  }
}

/** The first tick strictly after `after`; null when there is none. */
export function nextTick(
  schedule: Pick<Schedule, "cron" | "timezone">,
  after: Date,
): Date | null {
  return cronOf(schedule.cron, schedule.timezone).nextRun(after);
}

/** The last tick at or before `at` (within its second); null when none. */
export function latestTick(
  schedule: Pick<Schedule, "cron" | "timezone">,
  at: Date,
): Date | null {
  return (
    cronOf(schedule.cron, schedule.timezone).previousRuns(1, at)[0] ?? null
  );
}

/** A tick as it appears in task ids and keys: `20261203T201500Z` (UTC). */
export function tickStamp(tick: Date): string {
  return tick.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
}

/** The task id of one tick of a schedule: the same on every worker. */
export function tickTaskId(
  schedule: Pick<Schedule, "name">,
  tick: Date,
): string {
  return `cron:${schedule.name}:${tickStamp(tick)}`;
}

/** The calendar day before `tick` in `timezone`, `YYYY-MM-DD`. */
function dayBefore(tick: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(tick);
  const part = (type: string) =>
    Number(parts.find((p) => p.type === type)?.value);
  const local = new Date(
    Date.UTC(part("year"), part("month") - 1, part("day") - 1),
  );
  return local.toISOString().slice(0, 10);
}

/**
 * The task one tick enqueues, validated with the task schemas: the
 * schedule's fields, the tick's id and, for `generar_reporte` without a
 * `fecha`, the day before the tick (yesterday's report). Throws
 * TaskValidationError.
 */
export function taskForTick(
  schedule: Schedule,
  tick: Date,
  now = new Date(),
): Task {
  const fields: Record<string, unknown> = { ...schedule.task };
  if (fields.tipo === "generar_reporte" && fields.fecha === undefined) {
    fields.fecha = dayBefore(tick, schedule.timezone);
  }
  return validateTask({
    ...fields,
    id: tickTaskId(schedule, tick),
    encolada_en: now.toISOString(),
  });
}
