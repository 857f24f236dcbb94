/**
 * The rows of one list: short id, tipo, age (or due), attempts, and the
 * error's first line for failures. Columns grow with the terminal.
 */
import { Box, Text } from "ink";
import type { ListName } from "../queue/index.js";
import type { Row } from "./data.js";
import { fit, formatAge, formatDue, shortId } from "./format.js";
import { rowAt, type State } from "./state.js";

interface Column {
  title: string;
  width: number;
  value(row: Row, now: number): string;
  align?: "right";
}

const TIPO_WIDTH = 25;

/** The columns of `list` at `width`; the last one takes what is left. */
export function columnsFor(list: ListName, width: number): Column[] {
  const idWidth = width >= 130 ? 36 : 8;
  const columns: Column[] = [
    {
      title: "id",
      width: idWidth,
      value: (row) => (idWidth > 8 ? (row.id ?? "(no id)") : shortId(row.id)),
    },
    {
      title: "tipo",
      width: TIPO_WIDTH,
      value: (row) => row.tipo ?? "(no tipo)",
    },
  ];
  if (list === "reintentos" || list === "programadas") {
    columns.push({
      title: "due",
      width: 8,
      value: (row, now) => formatDue(row.dueAt, now),
    });
  } else {
    columns.push({
      title: "age",
      width: 5,
      value: (row, now) => formatAge(row.at, now),
      align: "right",
    });
  }
  if (list !== "programadas") {
    columns.push({
      title: "att",
      width: 3,
      value: (row) => String(row.intentos),
      align: "right",
    });
  }
  const used = columns.reduce((sum, c) => sum + c.width + 1, 2);
  const rest = Math.max(0, width - used - 1);
  if (list === "fallidas") {
    // Under 100 columns the error text matters more than its class, which
    // the detail pane and the groups view show anyway.
    if (width >= 100) {
      columns.push({
        title: "clase",
        width: 11,
        value: (row) => row.clase ?? "-",
      });
    }
    const errorWidth = width >= 100 ? rest - 12 : rest;
    columns.push({
      title: "error",
      width: Math.max(0, errorWidth),
      value: (row) => row.errorLine ?? "",
    });
  } else if (list === "procesando") {
    columns.push({
      title: "worker",
      width: rest,
      value: (row) => row.worker ?? "",
    });
  } else if (list === "procesadas") {
    columns.push({
      title: "took",
      width: Math.min(rest, 8),
      value: (row) =>
        row.durationMs === undefined ? "-" : `${row.durationMs}ms`,
      align: "right",
    });
    columns.push({
      title: "worker",
      width: Math.max(0, rest - 9),
      value: (row) => row.worker ?? "",
    });
  }
  return columns;
}

function cell(column: Column, text: string): string {
  if (column.align === "right")
    return fit(text, column.width, false).padStart(column.width);
  return fit(text, column.width);
}

interface ListTableProps {
  state: State;
  width: number;
  pageSize: number;
  now: number;
}

export function ListTable({ state, width, pageSize, now }: ListTableProps) {
  const columns = columnsFor(state.list, width);
  const total = state.window?.total;
  const lines = [];
  for (let i = state.top; i < state.top + pageSize; i += 1) {
    if (total !== undefined && i >= total) break;
    const row = rowAt(state, i);
    const isSelected = i === state.cursor;
    const text = row
      ? columns.map((c) => cell(c, c.value(row, now))).join(" ")
      : "…";
    lines.push(
      <Text key={i} inverse={isSelected} wrap="truncate">
        {isSelected ? "›" : " "} {fit(text, width - 3)}
      </Text>,
    );
  }

  return (
    <Box flexDirection="column" width={width} height={pageSize + 1}>
      <Text dimColor wrap="truncate">
        {"  "}
        {columns.map((c) => cell(c, c.title)).join(" ")}
      </Text>
      {total === 0 ? (
        <Text dimColor>
          {"  "}
          {state.filter
            ? `nothing matches “${state.filter}”`
            : `${state.list} is empty`}
        </Text>
      ) : total === undefined ? (
        <Text dimColor> loading…</Text>
      ) : (
        lines
      )}
    </Box>
  );
}
