/**
 * The whole record of one entry: summary, error, timings, pretty JSON.
 * Scrolls with ↑/↓ and PgUp/PgDn.
 */
import { Box, Text } from "ink";
import { printableLines } from "../common/printable.js";
import { redact } from "../common/redact.js";
import type { ListName } from "../queue/index.js";
import type { Row } from "./data.js";

/**
 * Wraps `text` into lines of at most `width` characters, at spaces when it
 * can; continuation lines keep the first line's label indent.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const indent = " ".repeat(/^(\S+\s{2,}|\s*)/.exec(line)?.[0].length ?? 0);
    let rest = line;
    let prefix = "";
    while ((prefix + rest).length > width) {
      const room = width - prefix.length;
      const space = rest.lastIndexOf(" ", room);
      const cut = space > room / 2 ? space : room;
      out.push(prefix + rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
      prefix = indent.length < width / 2 ? indent : "";
    }
    out.push(prefix + rest);
  }
  return out;
}

function timing(
  value: Record<string, unknown>,
  name: string,
): string | undefined {
  return typeof value[name] === "string"
    ? `${name.padEnd(13)}${value[name] as string}`
    : undefined;
}

/** Every line of the detail of `row`, wrapped to `width`. */
export function detailLines(list: ListName, row: Row, width: number): string[] {
  let value: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(row.raw) as unknown;
    if (typeof parsed === "object" && parsed !== null)
      value = parsed as Record<string, unknown>;
  } catch {
    value = undefined;
  }
  const lines: string[] = [
    `id           ${row.id ?? "(none)"}`,
    `in           ${list}${list === "procesando" && row.worker ? ` on ${row.worker}` : ""}`,
    `tipo         ${row.tipo ?? "(none)"}   attempts ${row.intentos}`,
  ];
  const error = value?.error as
    { clase?: string; mensaje?: string; codigo?: string } | undefined;
  if (error) {
    const code = error.codigo ? ` (${error.codigo})` : "";
    lines.push(
      `error        ${error.clase ?? "?"}${code}: ${error.mensaje ?? ""}`,
    );
  }
  if (row.dueAt !== undefined)
    lines.push(`due at       ${new Date(row.dueAt).toISOString()}`);
  for (const name of ["encolada_en", "iniciada_en", "terminada_en"]) {
    const line = value ? timing(value, name) : undefined;
    if (line) lines.push(line);
  }
  if (typeof value?.duracion_ms === "number")
    lines.push(`duracion_ms  ${value.duracion_ms}`);
  lines.push("");
  lines.push(value ? JSON.stringify(value, null, 2) : row.raw);
  // The record comes from any producer: its control characters are shown
  // escaped, never sent to the terminal.
  return lines.flatMap((line) =>
    wrap(printableLines(redact(line)), Math.max(10, width - 2)),
  );
}

interface DetailPaneProps {
  list: ListName;
  row: Row;
  scroll: number;
  width: number;
  height: number;
}

export function DetailPane({
  list,
  row,
  scroll,
  width,
  height,
}: DetailPaneProps) {
  const lines = detailLines(list, row, width);
  const errorStart = lines.findIndex((line) => line.startsWith("error "));
  let errorEnd = errorStart;
  while (errorStart >= 0 && errorEnd < lines.length) {
    errorEnd += 1;
    if (!lines[errorEnd]?.startsWith("             ")) break;
  }
  const body = Math.max(1, height - 1);
  const first = Math.max(0, Math.min(scroll, lines.length - body));
  const shown = lines.slice(first, first + body);
  const more =
    lines.length > body
      ? ` ${first + 1}-${first + shown.length} of ${lines.length} lines`
      : "";

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Detail</Text>
        <Text dimColor>
          {more} · esc back · y copy id{list === "fallidas" ? " · r retry" : ""}
          {list === "procesando" ? "" : " · d delete"}
        </Text>
      </Text>
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate">
          {" "}
          {i + first >= errorStart && i + first < errorEnd ? (
            <Text color="red">{line}</Text>
          ) : (
            line
          )}
        </Text>
      ))}
    </Box>
  );
}
