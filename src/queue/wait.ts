/**
 * Waiting for a task's outcome without blocking commands (so it works over
 * the REST transport too): poll the heads of `P:procesadas` and
 * `P:fallidas`, reading only what arrived since the last poll.
 */
import { TimeoutError } from "../common/errors.js";
import type { QueueContext } from "./operations.js";
import { parseRecord, type TaskRecord } from "./records.js";

/** Entries read per LRANGE while looking at what arrived. */
const WATCH_WINDOW = 200;
/**
 * Most entries one poll reads per list. `procesadas` is capped (10,000 by
 * default) and a poll runs every fraction of a second, so this is only
 * reached when the list's head moved in an unexpected way.
 */
const WATCH_MAX_SCAN = 50_000;
/** Poll interval of `waitForRecord`. */
export const WAIT_POLL_MS = 200;

/** Which task to wait for: records carry both fields of the task. */
export interface WatchedTask {
  id: string;
  encolada_en: string;
}

/** A task's final outcome. */
export interface TaskOutcome {
  list: "procesadas" | "fallidas";
  record: TaskRecord;
}

/** Looks for a task's record among the entries new since the last poll. */
export interface RecordWatch {
  poll(): Promise<TaskOutcome | undefined>;
}

/**
 * Starts watching for the record of `task`. Call it before queuing the
 * task: it notes each list's head, so later polls read only newer entries.
 */
export async function watchForRecord(
  ctx: QueueContext,
  task: WatchedTask,
): Promise<RecordWatch> {
  const lists = [
    { list: "procesadas" as const, key: ctx.keys.processed },
    { list: "fallidas" as const, key: ctx.keys.failed },
  ];
  const heads = await Promise.all(lists.map(({ key }) => headOf(ctx, key)));

  return {
    async poll() {
      for (const [i, { list, key }] of lists.entries()) {
        const { found, head } = await scanNew(ctx, key, heads[i], task);
        heads[i] = head;
        if (found) return { list, record: found };
      }
      return undefined;
    },
  };
}

async function headOf(
  ctx: QueueContext,
  key: string,
): Promise<string | undefined> {
  const [head] = await ctx.transport.command<string[]>("LRANGE", key, 0, 0);
  return head;
}

/**
 * Reads `key` from its head down to the entry that was the head last
 * time; returns the task's record if among them, and the new head.
 */
async function scanNew(
  ctx: QueueContext,
  key: string,
  lastHead: string | undefined,
  task: WatchedTask,
): Promise<{ found?: TaskRecord; head: string | undefined }> {
  let head: string | undefined;
  for (let start = 0; start < WATCH_MAX_SCAN; start += WATCH_WINDOW) {
    const stop = start + WATCH_WINDOW - 1;
    const entries = await ctx.transport.command<string[]>(
      "LRANGE",
      key,
      start,
      stop,
    );
    head ??= entries[0];
    for (const entry of entries) {
      if (entry.includes(task.id)) {
        const record = parseRecord(entry);
        const isIt =
          record?.id === task.id && record.encolada_en === task.encolada_en;
        if (isIt) return { found: record, head };
      }
      if (entry === lastHead) return { head };
    }
    if (entries.length < WATCH_WINDOW) break;
  }
  return { head: head ?? lastHead };
}

/** Options of `waitForRecord`. */
export interface WaitOptions {
  /** Give up after this long; unset: wait for ever. */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * Polls `watch` until the task's record appears and returns it.
 * Throws TimeoutError (exit 124) when `timeoutMs` passes first.
 */
export async function waitForRecord(
  watch: RecordWatch,
  task: WatchedTask,
  options: WaitOptions = {},
): Promise<TaskOutcome> {
  const pollMs = options.pollMs ?? WAIT_POLL_MS;
  const deadline =
    options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;

  for (;;) {
    const outcome = await watch.poll();
    if (outcome) return outcome;
    const left = deadline - Date.now();
    if (left <= 0) {
      const seconds = Math.round((options.timeoutMs ?? 0) / 100) / 10;
      throw new TimeoutError(
        `task ${task.id} has no outcome after ${seconds} s; it is still queued or running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
