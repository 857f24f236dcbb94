/**
 * `retryFailed`: moves failure records from `P:fallidas` back to
 * `P:procesar` as their original task, for the CLI and the TUI.
 */
import { UsageError } from "../common/errors.js";
import { appendAudit, listSome } from "./audit.js";
import type { QueueContext } from "./operations.js";
import { parseRecord, type TaskRecord } from "./records.js";
import { sweepList, type Take } from "./sweep.js";

/** Which failures to retry; at least one of `ids`, `tipo`, `all`. */
export interface RetryOptions {
  /** Only records with these task ids. */
  ids?: string[];
  /** Only records of this tipo. */
  tipo?: string;
  /** Every record (with `ids` or `tipo`: those filters still apply). */
  all?: boolean;
  /** Most tasks moved, oldest failures first. */
  limit?: number;
  /** Count what would move; change nothing. */
  dryRun?: boolean;
  /** Also push back tasks that were not a JSON object, as they were. */
  force?: boolean;
  /** Who asks (`cli`, `tui`), for the audit entry. */
  origin?: string;
  /** The selection as the audit entry shows it (e.g. `--group 2`). */
  selection?: string;
}

/** Why a matching record was not retried. */
export type RetrySkip = "not_json" | "not_object" | "truncated" | "unreadable";

/** Each skip reason as a person reads it. */
export const RETRY_SKIP_REASONS: Record<RetrySkip, string> = {
  not_json: "the task was not valid JSON (--force pushes the raw text back)",
  not_object: "the task was not a JSON object (--force pushes it back as is)",
  truncated:
    "the raw task was cut at 64 KiB when recorded: it cannot be replayed",
  unreadable: "the entry is not a failure record",
};

/** What `retryFailed` did (or, with `dryRun`, would do). */
export interface RetryResult {
  /** Tasks moved back to `P:procesar` (would move, with `dryRun`). */
  moved: number;
  dryRun: boolean;
  /** Matching records left in `P:fallidas`, by reason. */
  skipped: Partial<Record<RetrySkip, number>>;
  /** Asked-for ids with no record in `P:fallidas`. */
  notFound: string[];
}

/** The task a record replays, or why it cannot be replayed. */
export type Replay = { task: string } | { skip: RetrySkip };

/**
 * Moves matching failure records back to the tail of `P:procesar`, oldest
 * failure first, each as its original task (`tarea`) with the same id and
 * without `intentos`, so it gets a full set of attempts. Removing the
 * record and pushing the task happen in one Lua script per window of
 * records: two retries running at once never move a record twice, and a
 * crash mid-way leaves every record either moved or still failed.
 * A record whose task was not a JSON object is skipped unless `force`.
 * Appends one audit entry when anything moved.
 * Throws UsageError when no selection or a bad limit is given.
 */
export async function retryFailed(
  ctx: QueueContext,
  options: RetryOptions,
): Promise<RetryResult> {
  const matches = retryFilter(options);
  const limit = checkLimit(options.limit);
  const wanted = new Set(options.ids ?? []);
  const seen = new Set<string>();
  const result: RetryResult = {
    moved: 0,
    dryRun: options.dryRun ?? false,
    skipped: {},
    notFound: [],
  };

  const choose = (entries: string[]) => {
    const take: Take[] = [];
    for (const entry of entries) {
      if (result.moved + take.length >= limit) break;
      const record = parseRecord(entry);
      if (!matches(record)) continue;
      if (record) seen.add(record.id);
      const replay = replayOf(record, options.force ?? false);
      if ("skip" in replay) {
        result.skipped[replay.skip] = (result.skipped[replay.skip] ?? 0) + 1;
      } else {
        take.push({ entry, replacement: replay.task });
      }
    }
    if (!result.dryRun) return { take, isLast: result.moved >= limit };
    result.moved += take.length;
    return { take: [], isLast: result.moved >= limit };
  };

  let failure: unknown;
  try {
    await sweepList({
      transport: ctx.transport,
      key: ctx.keys.failed,
      kind: "list",
      destination: ctx.keys.pending,
      choose,
      onTaken: (_take, taken) => {
        result.moved += taken.filter(Boolean).length;
      },
    });
  } catch (error) {
    failure = error;
  }
  if (!result.dryRun && result.moved > 0) {
    const detail = describeRetry(options, options.selection);
    await appendAudit(ctx, {
      command: "retry",
      count: result.moved,
      detail,
      origin: options.origin,
    }).catch((error: unknown) => (failure ??= error));
  }
  if (failure) throw failure;

  result.notFound = [...wanted].filter((id) => !seen.has(id));
  return result;
}

function retryFilter(
  options: RetryOptions,
): (record: TaskRecord | undefined) => boolean {
  const ids = options.ids?.length ? new Set(options.ids) : undefined;
  const { tipo } = options;
  if (!ids && tipo === undefined && !options.all) {
    throw new UsageError(
      "say which failures to retry: --id ID..., --tipo TIPO or --all",
    );
  }
  return (record) => {
    if (!record) return !ids && tipo === undefined;
    if (ids && !ids.has(record.id)) return false;
    return tipo === undefined || record.tipo === tipo;
  };
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UsageError(
      `--limit: must be a whole number above 0, not ${limit}`,
    );
  }
  return limit;
}

/** The task a record replays, or why it cannot. */
export function replayOf(
  record: TaskRecord | undefined,
  force: boolean,
): Replay {
  if (!record) return { skip: "unreadable" };
  if (record.crudo !== undefined) {
    if (record.crudo_bytes !== undefined) return { skip: "truncated" };
    return force ? { task: record.crudo } : { skip: "not_json" };
  }

  const { tarea } = record;
  if (tarea === undefined) return { skip: "unreadable" };
  if (typeof tarea !== "object" || tarea === null || Array.isArray(tarea)) {
    return force ? { task: JSON.stringify(tarea) } : { skip: "not_object" };
  }
  // A fresh start: attempts reset, and the id the record was filed under
  // (the worker assigns one to a task that came without).
  const { intentos: _attempts, ...task } = tarea as Record<string, unknown>;
  return { task: JSON.stringify({ ...task, id: record.id }) };
}

/** The selection as flags, for the audit entry. */
function describeRetry(options: RetryOptions, selection?: string): string {
  const parts: string[] = [];
  if (selection) parts.push(selection);
  else if (options.ids?.length) parts.push(`--id ${listSome(options.ids)}`);
  if (options.tipo !== undefined) parts.push(`--tipo ${options.tipo}`);
  if (options.all) parts.push("--all");
  if (options.limit !== undefined) parts.push(`--limit ${options.limit}`);
  if (options.force) parts.push("--force");
  return parts.join(" ");
}
