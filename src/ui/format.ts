/**
 * Pure text helpers for the TUI: ages, numbers, sparkline, row decoding.
 */
import { printable } from "../common/printable.js";
import { redact } from "../common/redact.js";
import type { ListEntry } from "../queue/index.js";
import type { Row } from "./data.js";

/** `1,234,567` */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `12s`, `5m`, `3h`, `2d` from milliseconds (negative: 0s). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Age of an ISO time, or `-` when unknown. */
export function formatAge(iso: string | null, now: number): string {
  if (!iso) return "-";
  const at = Date.parse(iso);
  return Number.isNaN(at) ? "-" : formatDuration(now - at);
}

/** `in 12s` or `due` for a zset score. */
export function formatDue(dueAt: number | undefined, now: number): string {
  if (dueAt === undefined) return "-";
  return dueAt <= now ? "due" : `in ${formatDuration(dueAt - now)}`;
}

/**
 * Cuts `text` to `width` columns with an ellipsis; pads when `pad`. Every
 * cell and status line passes here: control characters (from any
 * producer's task) are escaped, and passwords and tokens hidden.
 */
export function fit(text: string, width: number, pad = true): string {
  if (width <= 0) return "";
  const safe = printable(redact(text));
  const cut = safe.length > width ? `${safe.slice(0, width - 1)}…` : safe;
  return pad ? cut.padEnd(width) : cut;
}

const BARS = "▁▂▃▄▅▆▇█";

/** A sparkline of `values` scaled to their maximum; blank where unknown. */
export function sparkline(values: (number | undefined)[]): string {
  const max = Math.max(...values.map((v) => v ?? 0), 0);
  return values
    .map((v) => {
      if (v === undefined) return " ";
      if (max <= 0) return BARS[0];
      const level = Math.round((v / max) * (BARS.length - 1));
      return BARS[Math.min(BARS.length - 1, Math.max(0, level))];
    })
    .join("");
}

/** `12.3/s` with one decimal under 100. */
export function formatRate(rate: number): string {
  if (rate >= 100) return `${Math.round(rate)}/s`;
  return `${rate.toFixed(1)}/s`;
}

/** Turns an entry read by `listWindow` into a table row. */
export function toRow(entry: ListEntry): Row {
  const value = entry.value;
  const isRecord = entry.list === "procesadas" || entry.list === "fallidas";
  const error = value?.error as
    { mensaje?: unknown; clase?: unknown } | undefined;
  const at = isRecord ? value?.terminada_en : value?.encolada_en;

  return {
    key: entry.id ?? entry.raw,
    id: entry.id ?? null,
    tipo: entry.tipo ?? (value ? null : "(not JSON)"),
    at: typeof at === "string" ? at : null,
    dueAt: entry.due,
    intentos: Number(value?.intentos ?? 0) || 0,
    clase: typeof error?.clase === "string" ? error.clase : undefined,
    errorLine:
      typeof error?.mensaje === "string"
        ? error.mensaje.split("\n")[0]
        : undefined,
    worker:
      entry.worker ??
      (typeof value?.worker === "string" ? value.worker : undefined),
    durationMs:
      typeof value?.duracion_ms === "number" ? value.duracion_ms : undefined,
    raw: entry.raw,
    index: entry.position,
  };
}

/** The short form of an id shown in tables (first 8 characters). */
export function shortId(id: string | null): string {
  return id ? id.slice(0, 8) : "(no id)";
}
