/**
 * `P:pausa`: while it exists, workers fetch nothing new (the claim script
 * checks it) and in-flight tasks finish. `pause` sets it, with an optional
 * expiry; `resume` deletes it.
 */
import { UsageError } from "../common/errors.js";
import { resumeScript } from "./admin-scripts.js";
import {
  AUDIT_CAP,
  auditCommands,
  auditEntry,
  auditTemplate,
} from "./audit.js";
import type { QueueContext } from "./operations.js";

/** Whether the queue is paused, by whom and until when. */
export interface PauseState {
  isPaused: boolean;
  /** When the pause began (ISO), when recorded. */
  since?: string;
  /** `user@host` who paused, when recorded. */
  by?: string;
  /** When it expires by itself (ISO); absent: until resumed. */
  until?: string;
  /** Milliseconds left until it expires; absent: until resumed. */
  remainingMs?: number;
}

/** Options of `pause`. */
export interface PauseOptions {
  /** Expire the pause after this long; unset: until `resume`. */
  forMs?: number;
  origin?: string;
}

/**
 * Pauses the queue (replacing any earlier pause and its expiry) and
 * records it in the audit list, in one transaction. Returns the new state.
 * Throws UsageError for a duration that is not positive.
 */
export async function pause(
  ctx: QueueContext,
  options: PauseOptions = {},
): Promise<PauseState> {
  const { forMs } = options;
  if (forMs !== undefined && (!Number.isInteger(forMs) || forMs < 1)) {
    throw new UsageError(`--for: must be a positive duration, not ${forMs} ms`);
  }

  const now = new Date();
  const until =
    forMs === undefined
      ? undefined
      : new Date(now.getTime() + forMs).toISOString();
  const entry = auditEntry(
    {
      command: "pause",
      count: 1,
      detail: until === undefined ? "until resumed" : `until ${until}`,
      origin: options.origin,
    },
    now,
  );
  const state: PauseState = {
    isPaused: true,
    since: now.toISOString(),
    by: `${entry.user}@${entry.host}`,
    ...(until === undefined ? {} : { until, remainingMs: forMs }),
  };
  const value = JSON.stringify({
    since: state.since,
    by: state.by,
    until: state.until,
  });
  const expiry = forMs === undefined ? [] : ["PX", forMs];
  await ctx.transport.transaction([
    ["SET", ctx.keys.pause, value, ...expiry],
    ...auditCommands(ctx.keys, entry),
  ]);
  return state;
}

/**
 * Ends a pause and records it in the audit list, in one script.
 * Returns whether the queue was paused.
 */
export async function resume(
  ctx: QueueContext,
  options: { origin?: string } = {},
): Promise<boolean> {
  const entry = auditEntry({
    command: "resume",
    count: 0,
    origin: options.origin,
  });
  const removed = await ctx.transport.script<number>(
    resumeScript,
    [ctx.keys.pause, ctx.keys.audit],
    [auditTemplate(entry), AUDIT_CAP],
  );
  return removed === 1;
}

/** Reads whether the queue is paused, by whom and for how long. */
export async function readPause(ctx: QueueContext): Promise<PauseState> {
  const [value, ttl] = await ctx.transport.pipeline([
    ["GET", ctx.keys.pause],
    ["PTTL", ctx.keys.pause],
  ]);
  if (value === null || value === undefined) return { isPaused: false };

  const remainingMs = Number(ttl) > 0 ? Number(ttl) : undefined;
  const info = parsePauseValue(String(value));
  return {
    isPaused: true,
    ...info,
    ...(remainingMs === undefined
      ? {}
      : {
          remainingMs,
          until: new Date(Date.now() + remainingMs).toISOString(),
        }),
  };
}

/** The recorded details of a pause; a key set by hand may hold anything. */
function parsePauseValue(text: string): Pick<PauseState, "since" | "by"> {
  try {
    const value = JSON.parse(text) as { since?: unknown; by?: unknown };
    return {
      ...(typeof value.since === "string" ? { since: value.since } : {}),
      ...(typeof value.by === "string" ? { by: value.by } : {}),
    };
  } catch {
    return {};
  }
}
