/**
 * Durations as people type them (`30s`, `10m`, `2h`, `1d`, `500ms`) and
 * ages as people read them (`3m 12s`), shared by every command.
 */
import { UsageError } from "./errors.js";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/**
 * Parses `10m`, `30s`, `2h`, `1d`, `250ms` or a bare number of seconds.
 * Returns milliseconds, or undefined when `text` is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;

  const amount = Number(match[1]);
  const unit = UNIT_MS[match[2] ?? "s"] ?? 1000;
  const ms = Math.round(amount * unit);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A short human duration: `850ms`, `42s`, `3m 12s`, `5h 03m`, `2d 04h`.
 * Negative values are shown as their absolute value.
 */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;

  const seconds = Math.floor(abs / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return pair(minutes, "m", seconds % 60, "s");
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return pair(hours, "h", minutes % 60, "m");
  return pair(Math.floor(hours / 24), "d", hours % 24, "h");
}

/** `3m 05s`, or `3m` when the smaller part is zero. */
function pair(big: number, bigUnit: string, small: number, unit: string) {
  const rest = small === 0 ? "" : ` ${String(small).padStart(2, "0")}${unit}`;
  return `${big}${bigUnit}${rest}`;
}

/**
 * Longest delay Node's timers take (2^31 - 1 ms, about 24.8 days): a longer
 * one fires at once, so every flag that sets a timer stays below it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Longest duration a flag accepts (a year): anything above is a typo. */
const MAX_FLAG_DURATION_MS = 365 * 86_400_000;

/**
 * `parseDuration` for a flag's value: returns milliseconds, throws
 * UsageError naming the flag (`what`, e.g. `--in`) when `text` is not a
 * duration or is longer than a year.
 */
export function requireDuration(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms > MAX_FLAG_DURATION_MS) {
    throw new UsageError(
      `${what}: ${JSON.stringify(text)} is not a duration such as 30s, 10m, 2h or 1d`,
    );
  }
  return ms;
}
