/**
 * Retry and delete of entries the caller holds exactly as stored (the
 * TUI's rows): each is found with LREM/ZREM by value, which costs the
 * entry's distance from the head, so acting on the newest failures of a
 * list of a million stays instant. `retryFailed` / `deleteRecords` select
 * by id and sweep a list from its tail instead, which suits scripts but
 * takes seconds on a million records. Same replay rule, same audit list.
 */
import type { ListName } from "./read.js";
import type { QueueContext } from "./operations.js";
import { appendAudit, listSome } from "./audit.js";
import { parseRecord } from "./records.js";
import { replayOf, type RetrySkip } from "./retry.js";
import { defineScript, type Command } from "./transport.js";

/** Records moved per script call: bounds how long one call blocks Redis. */
const RETRY_CHUNK = 200;

/**
 * KEYS: failed, pending. ARGV: record1, task1, record2, task2, ...
 * For each pair, removes the record from failed and, only if it was there,
 * pushes the task to the tail of pending. Returns how many moved. Two
 * retries of the same record at once move it once.
 */
const retryRecordsScript = defineScript(
  "retry-records",
  `
local moved = 0
for i = 1, #ARGV, 2 do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved
`,
);

/** What `retryRecords` did. */
export interface RecordsRetry {
  /** Records moved back to `P:procesar`. */
  moved: number;
  /** Records left alone, by reason (as `retryFailed` reports them). */
  skipped: Partial<Record<RetrySkip, number>>;
  /** Records no longer in `P:fallidas` (someone else moved them). */
  gone: number;
}

/** Options of the by-value actions. */
export interface ByValueOptions {
  /** Who asked, for the audit entry (`tui`). */
  origin?: string;
}

/**
 * Moves failure records, given exactly as stored, back to the tail of
 * `P:procesar` in the order given, each as its original task (same id,
 * attempts reset; see `replayOf`), atomically per record. Appends one audit
 * entry when anything moved.
 */
export async function retryRecords(
  ctx: QueueContext,
  raws: string[],
  options: ByValueOptions = {},
): Promise<RecordsRetry> {
  const pairs: string[] = [];
  const ids: string[] = [];
  const skipped: RecordsRetry["skipped"] = {};
  for (const raw of raws) {
    const record = parseRecord(raw);
    const replay = replayOf(record, false);
    if ("skip" in replay) {
      skipped[replay.skip] = (skipped[replay.skip] ?? 0) + 1;
      continue;
    }
    pairs.push(raw, replay.task);
    ids.push(record?.id ?? "?");
  }

  let moved = 0;
  for (let i = 0; i < pairs.length; i += RETRY_CHUNK * 2) {
    moved += await ctx.transport.script<number>(
      retryRecordsScript,
      [ctx.keys.failed, ctx.keys.pending],
      pairs.slice(i, i + RETRY_CHUNK * 2),
    );
  }
  if (moved > 0) {
    const detail = `--id ${listSome(ids)}`;
    await appendAudit(ctx, {
      command: "retry",
      count: moved,
      detail,
      ...options,
    });
  }
  return { moved, skipped, gone: pairs.length / 2 - moved };
}

/**
 * Removes entries, given exactly as stored, from a list or zset; returns
 * how many were removed and appends one audit entry when any was.
 * Throws for `procesando`: a worker is running those tasks.
 */
export async function deleteEntries(
  ctx: QueueContext,
  list: ListName,
  raws: string[],
  options: ByValueOptions = {},
): Promise<number> {
  if (list === "procesando") {
    throw new Error(
      "tasks in flight cannot be deleted: a worker is running them",
    );
  }
  if (raws.length === 0) return 0;

  const { keys } = ctx;
  const isZset = list === "reintentos" || list === "programadas";
  const key = {
    procesar: keys.pending,
    reintentos: keys.retries,
    programadas: keys.scheduled,
    procesadas: keys.processed,
    fallidas: keys.failed,
  }[list];
  const commands: Command[] = isZset
    ? [["ZREM", key, ...raws]]
    : raws.map((raw): Command => ["LREM", key, 1, raw]);
  const replies = await ctx.transport.pipeline(commands);
  const removed = replies.reduce<number>((sum, n) => sum + Number(n), 0);

  if (removed > 0) {
    const ids = raws.map((raw) => parseRecord(raw)?.id ?? "(no id)");
    const detail = `${listSome(ids)} from ${list}`;
    await appendAudit(ctx, {
      command: "delete",
      count: removed,
      detail,
      ...options,
    });
  }
  return removed;
}
