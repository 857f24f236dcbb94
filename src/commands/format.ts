/**
 * Text output for people: aligned tables, ages, counts, one-line cuts.
 * Machine output (`--json`) never goes through here.
 */
import { formatDuration } from "../common/duration.js";
import { printable, printableLines } from "../common/printable.js";

/** A column: its header and whether numbers align right. */
export interface Column {
  header: string;
  align?: "left" | "right";
}

/**
 * Renders rows under their headers, columns padded to the widest cell and
 * two spaces apart; each line is cut at `width` characters when given.
 * Cells come from the queue: control characters in them are escaped.
 */
export function renderTable(
  columns: Column[],
  cells: string[][],
  width?: number,
): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cut(
      cells
        .map((cell, i) => {
          const isLast = i === cells.length - 1;
          if (columns[i]?.align === "right") return cell.padStart(widths[i]!);
          return isLast ? cell : cell.padEnd(widths[i]!);
        })
        .join("  ")
        .trimEnd(),
      width,
    );
  const header = line(columns.map((column) => column.header));
  return [header, ...rows.map(line)].join("\n") + "\n";
}

/** Cuts `text` to `width` characters, ending with `…` when cut. */
export function cut(text: string, width?: number): string {
  if (width === undefined || text.length <= width) return text;
  return `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The first line of `text`, cut to `width`. */
export function firstLine(text: string, width = 80): string {
  return cut(text.split("\n")[0] ?? "", width);
}

/** `3m 12s ago` for an ISO time in the past, `in 3m 12s` in the future. */
export function relative(at: number | string | null | undefined): string {
  if (at === null || at === undefined) return "-";
  const time = typeof at === "number" ? at : Date.parse(at);
  if (Number.isNaN(time)) return "-";
  const delta = Date.now() - time;
  if (Math.abs(delta) < 1000) return "now";
  return delta >= 0
    ? `${formatDuration(delta)} ago`
    : `in ${formatDuration(-delta)}`;
}

/** 1234567 -> `1,234,567`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Width to cut tables at: the terminal's, or none when piped. */
export function terminalWidth(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns || 100 : undefined;
}

/**
 * Writes text to stdout, with control characters other than newlines
 * escaped: text shown here may come from any producer, and a terminal
 * would act on them (JSON values stay the same: see printableLines).
 */
export function print(text: string): void {
  const safe = printableLines(text);
  process.stdout.write(safe.endsWith("\n") ? safe : `${safe}\n`);
}

/** A one-line warning on stderr, leaving stdout to the data. */
export function warn(text: string): void {
  process.stderr.write(`batchctl: ${printable(text)}\n`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Characters of a UUID shown in tables (`show` accepts the prefix). */
const SHORT_UUID = 8;

/**
 * The id as tables show it: a UUID's first 8 characters (unique enough
 * for `show`), any other id whole, since a cut one may match many.
 */
export function shortId(id: string | undefined | null): string {
  if (!id) return "-";
  return UUID.test(id) ? id.slice(0, SHORT_UUID) : id;
}

/** `1 entry`, `3 entries`: a count with its noun in the right number. */
export function counted(n: number, singular: string, plural?: string): string {
  return `${count(n)} ${n === 1 ? singular : (plural ?? `${singular}s`)}`;
}
