/**
 * Walks a list or zset in windows and takes chosen entries out of it
 * atomically: the engine under retry and delete. Never reads more than one
 * window at a time, so a list of a million entries costs memory for 500.
 *
 * Windows are counted from the tail (negative indexes). Workers claim from
 * the head of `procesar`, push records to the head of `procesadas` and
 * `fallidas`, and promote zset members from the lowest score: none of that
 * moves an entry's index counted from the tail, so a sweep neither skips
 * nor repeats entries while the queue runs. Entries appended at the tail
 * meanwhile are seen again at worst, and then left alone again. Another
 * operator removing entries behind the sweep (nearer the tail) can make it
 * pass over a few entries: never a duplicate or a loss, only a miss that
 * a second run catches.
 */
import { randomBytes } from "node:crypto";
import { BatchError } from "../common/errors.js";
import { takeFromWindowScript } from "./admin-scripts.js";
import type { Command, RedisTransport } from "./transport.js";

/** Entries read per window (one LRANGE or ZRANGE). */
export const SWEEP_WINDOW = 500;
/**
 * Windows in a row whose chosen entries were all gone when the script ran
 * (someone else changing the list under the sweep) before it gives up.
 */
const MAX_IDLE_WINDOWS = 20;

/** One entry to take, and for a move, what to push in its place. */
export interface Take {
  entry: string;
  /** Pushed to the tail of the destination when taken (lists only). */
  replacement?: string;
}

/** What a sweep does with one window. */
export interface SweepStep {
  /** Entries of this window to take out (exact strings). */
  take: Take[];
  /** Stop after this window. */
  isLast?: boolean;
}

/** Options of `sweepList`. */
export interface SweepOptions {
  transport: RedisTransport;
  key: string;
  kind: "list" | "zset";
  /** Where replacements are pushed (lists only). */
  destination?: string;
  /** Chooses what to take from a window given oldest (tail) first. */
  choose(entries: string[]): SweepStep;
  /** Hears which chosen entries were taken (false: already gone). */
  onTaken?(take: Take[], taken: boolean[]): void;
  window?: number;
}

/** Sweeps the key from its tail to its head; returns how many were taken. */
export async function sweepList(options: SweepOptions): Promise<number> {
  const { transport, key } = options;
  const size = options.window ?? SWEEP_WINDOW;
  let offset = 0;
  let total = 0;
  let idle = 0;

  for (;;) {
    const range = ["-" + (offset + size), "-" + (offset + 1)] as const;
    const read = options.kind === "zset" ? "ZRANGE" : "LRANGE";
    const window = await transport.command<string[]>(read, key, ...range);
    if (window.length === 0) return total;

    const step = options.choose([...window].reverse());
    const taken = step.take.length
      ? await takeEntries(options, range, step.take)
      : [];
    const count = taken.filter(Boolean).length;
    total += count;
    options.onTaken?.(step.take, taken);
    if (step.isLast) return total;

    idle = step.take.length > 0 && count === 0 ? idle + 1 : 0;
    if (idle >= MAX_IDLE_WINDOWS) {
      throw new BatchError(
        `${key} kept changing under the operation (${total} done so far); run it again`,
      );
    }
    // Taken entries left the window; the others stay in front of the next.
    offset += window.length - step.take.length;
  }
}

async function takeEntries(
  options: SweepOptions,
  range: readonly [string, string],
  take: Take[],
): Promise<boolean[]> {
  const { transport, key } = options;
  if (options.kind === "zset") {
    const commands = take.map((t): Command => ["ZREM", key, t.entry]);
    const replies = await transport.transaction(commands);
    return replies.map((reply) => Number(reply) === 1);
  }

  const isMove = options.destination !== undefined;
  const tombstone = `batchctl:taken:${randomBytes(12).toString("hex")}`;
  const replies = await transport.script<number[]>(
    takeFromWindowScript,
    [key, options.destination ?? key],
    [
      ...range,
      tombstone,
      isMove ? "move" : "remove",
      take.length,
      ...take.map((t) => t.entry),
      ...(isMove ? take.map((t) => t.replacement ?? t.entry) : []),
    ],
  );
  return replies.map((reply) => Number(reply) === 1);
}
