/**
 * The audit trail `P:auditoria`: one entry per operator action that moves or
 * removes tasks or keys (retry, delete, purge, purge-cache, pause, resume,
 * enqueue of many), newest first, capped.
 */
import { hostname, userInfo } from "node:os";
import type { QueueKeys } from "./keys.js";
import type { QueueContext } from "./operations.js";
import type { Command } from "./transport.js";

/** Entries kept in `P:auditoria`; older ones are trimmed. */
export const AUDIT_CAP = 10_000;

/** One entry of `P:auditoria`. */
export interface AuditEntry {
  /** When the action ran (ISO-8601 UTC). */
  when: string;
  /** OS user who ran it. */
  user: string;
  /** Host it ran on. */
  host: string;
  /** Where it came from: `cli` or `tui`. */
  origin: string;
  /** The operation: `retry`, `delete`, `purge`, `purge-cache`, ... */
  command: string;
  /** How many tasks, records or keys it moved or removed. */
  count: number;
  /** What it acted on, as a person would read it: `--tipo x --limit 5`. */
  detail?: string;
}

/** What an operation says about itself; `auditEntry` adds who and when. */
export type AuditAction = Pick<AuditEntry, "command" | "count" | "detail"> & {
  origin?: string;
};

/** The OS user, or `$USER`, or `unknown` (containers may have no passwd). */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}

/** Completes an action with when, who and where. */
export function auditEntry(action: AuditAction, now = new Date()): AuditEntry {
  return {
    when: now.toISOString(),
    user: osUser(),
    host: hostname(),
    origin: action.origin ?? "cli",
    command: action.command,
    count: action.count,
    ...(action.detail ? { detail: action.detail } : {}),
  };
}

/** The commands that append `entry`, to run inside the action's MULTI. */
export function auditCommands(keys: QueueKeys, entry: AuditEntry): Command[] {
  return [
    ["LPUSH", keys.audit, JSON.stringify(entry)],
    ["LTRIM", keys.audit, 0, AUDIT_CAP - 1],
  ];
}

/**
 * The entry as JSON with `"count":-1`, which an action's Lua script
 * replaces by the count it knows only when it runs.
 */
export function auditTemplate(entry: AuditEntry): string {
  return JSON.stringify({ ...entry, count: -1 });
}

/** Up to `max` items joined by spaces, then how many more. */
export function listSome(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(" ");
  const more = items.length - max;
  return more > 0 ? `${shown} (+${more} more)` : shown;
}

/**
 * Appends one entry for `action` (newest first, capped at AUDIT_CAP).
 * Returns the entry written.
 */
export async function appendAudit(
  ctx: QueueContext,
  action: AuditAction,
): Promise<AuditEntry> {
  const entry = auditEntry(action);
  await ctx.transport.transaction(auditCommands(ctx.keys, entry));
  return entry;
}

/** Options of `readAudit`. */
export interface ReadAuditOptions {
  /** Most entries returned, newest first (default 50). */
  limit?: number;
}

/**
 * Reads the newest `limit` audit entries, newest first. An entry that is
 * not valid JSON comes back as `{ command: "?", detail: <raw text> }`.
 */
export async function readAudit(
  ctx: QueueContext,
  options: ReadAuditOptions = {},
): Promise<AuditEntry[]> {
  const limit = Math.max(0, Math.min(options.limit ?? 50, AUDIT_CAP));
  if (limit === 0) return [];

  const raws = await ctx.transport.command<string[]>(
    "LRANGE",
    ctx.keys.audit,
    0,
    limit - 1,
  );
  return raws.map(parseAuditEntry);
}

function parseAuditEntry(raw: string): AuditEntry {
  try {
    const value = JSON.parse(raw) as Partial<AuditEntry>;
    return {
      when: String(value.when ?? ""),
      user: String(value.user ?? "?"),
      host: String(value.host ?? "?"),
      origin: String(value.origin ?? "?"),
      command: String(value.command ?? "?"),
      count: Number(value.count ?? 0),
      ...(value.detail !== undefined ? { detail: String(value.detail) } : {}),
    };
  } catch {
    const unknown = { user: "?", host: "?", origin: "?", command: "?" };
    return { when: "", ...unknown, count: 0, detail: raw.slice(0, 200) };
  }
}
