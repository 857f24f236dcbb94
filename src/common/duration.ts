/**
 * Durations as people type them on the command line: `500ms`, `30s`, `10m`,
 * `2h`, `1d`, or a bare number of seconds.
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

/** Longest duration accepted (a year): anything above is a typo. */
const MAX_DURATION_MS = 365 * UNIT_MS.d!;

/**
 * Parses `10m`, `30s`, `2h`, `1d`, `250ms` or a bare number of seconds
 * into milliseconds. `what` names the flag in the error (e.g. `--in`).
 * Throws UsageError when `text` is not such a duration.
 */
export function parseDuration(text: string, what = "duration"): number {
  const match = DURATION_PATTERN.exec(text.trim());
  const ms = match
    ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000))
    : NaN;
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    throw new UsageError(
      `${what}: ${JSON.stringify(text)} is not a duration such as 30s, 10m, 2h or 1d`,
    );
  }
  return ms;
}
