/**
 * The TUI's state and its pure reducer (no Ink here, so plain calls test
 * it). Selection is kept by row key, so a refresh never moves it to
 * another task.
 */
import { LIST_NAMES, type ListName, type QueueStats } from "../queue/index.js";
import type { GroupsResult, Row, RowWindow } from "./data.js";

/** An action waiting for its confirmation, as data. */
export type PendingAction =
  | { kind: "retry"; raws: string[]; what: string }
  | { kind: "delete"; list: ListName; raws: string[]; what: string }
  | { kind: "purge"; keys: string[] }
  | { kind: "pause"; isPaused: boolean };

/** The field values and errors of the enqueue form. */
export interface EnqueueForm {
  kind: "enqueue";
  tipoIndex: number;
  values: Record<string, string>;
  focus: number;
  errors: Record<string, string>;
}

export type Mode =
  | { kind: "list" }
  | { kind: "detail"; row: Row; scroll: number }
  | { kind: "help"; scroll: number }
  | { kind: "groups"; result?: GroupsResult; cursor: number }
  | { kind: "input"; purpose: "filter" | "purge"; value: string }
  | EnqueueForm
  | { kind: "confirm"; question: string; action: PendingAction; back: Mode };

export interface Status {
  text: string;
  tone: "info" | "ok" | "error";
}

/** One tasks/s measurement. */
export interface RateSample {
  at: number;
  rate: number;
}

export interface State {
  list: ListName;
  /** Index of the selected row in the list (or the filtered list). */
  cursor: number;
  /** Index of the first row on screen. */
  top: number;
  selectedKey: string | undefined;
  window: RowWindow | undefined;
  snapshot: QueueStats | undefined;
  samples: RateSample[];
  connection: { isUp: boolean; since: number; reason?: string };
  isFrozen: boolean;
  filter: string;
  mode: Mode;
  status: Status | undefined;
  /** Ids copied with `y`, printed on exit. */
  copied: string[];
}

export type Action =
  | { type: "snapshot"; snapshot: QueueStats }
  | { type: "window"; window: RowWindow; pageSize: number }
  | { type: "connection"; isUp: boolean; at: number; reason?: string }
  | { type: "move"; by: number | "first" | "last"; pageSize: number }
  | { type: "switchList"; list: ListName }
  | { type: "mode"; mode: Mode }
  | { type: "status"; status: Status | undefined }
  | { type: "toggleFreeze" }
  | { type: "filter"; filter: string }
  | { type: "copied"; id: string };

/** How much rate history is kept (the sparkline shows the last minutes). */
export const RATE_HISTORY_MS = 3 * 60_000;

export function initialState(
  list: ListName = "procesar",
  now = Date.now(),
): State {
  return {
    list,
    cursor: 0,
    top: 0,
    selectedKey: undefined,
    window: undefined,
    snapshot: undefined,
    samples: [],
    connection: { isUp: true, since: now },
    isFrozen: false,
    filter: "",
    mode: { kind: "list" },
    status: undefined,
    copied: [],
  };
}

/** The row at `index` when it is in the fetched window. */
export function rowAt(state: State, index: number): Row | undefined {
  const window = state.window;
  if (!window) return undefined;
  return window.rows[index - window.offset];
}

/** The selected row, when fetched. */
export function selectedRow(state: State): Row | undefined {
  return rowAt(state, state.cursor);
}

function clamp(n: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, n));
}

/** Keeps the cursor on screen, moving `top` as little as possible. */
function scrolled(
  cursor: number,
  top: number,
  pageSize: number,
  total: number,
) {
  let next = top;
  if (cursor < next) next = cursor;
  if (cursor >= next + pageSize) next = cursor - pageSize + 1;
  return clamp(next, 0, Math.max(0, total - pageSize));
}

function withSample(state: State, stats: QueueStats): RateSample[] {
  if (!stats.rate) return state.samples;
  const at = Date.parse(stats.at);
  const kept = state.samples.filter((s) => s.at > at - RATE_HISTORY_MS);
  return [...kept, { at, rate: stats.rate.per_second }];
}

function reconcile(state: State, window: RowWindow, pageSize: number): State {
  const total = window.total;
  const found = state.selectedKey
    ? window.rows.find((row) => row.key === state.selectedKey)
    : undefined;
  const cursor = clamp(
    found ? found.index : state.cursor,
    0,
    Math.max(0, total - 1),
  );
  const top = scrolled(cursor, state.top, pageSize, total);
  const next = { ...state, window, cursor, top };
  const selected = rowAt(next, cursor);
  const mode = state.mode;
  // An open detail follows its record while it is in the window.
  const fresh =
    mode.kind === "detail"
      ? window.rows.find((row) => row.key === mode.row.key)
      : undefined;

  return {
    ...next,
    selectedKey: selected?.key ?? state.selectedKey,
    mode: fresh && mode.kind === "detail" ? { ...mode, row: fresh } : mode,
  };
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "snapshot":
      return {
        ...state,
        snapshot: action.snapshot,
        samples: withSample(state, action.snapshot),
      };
    case "window": {
      const { window } = action;
      if (window.list !== state.list || window.filter !== state.filter) {
        return state;
      }
      return reconcile(state, window, action.pageSize);
    }
    case "connection":
      if (action.isUp === state.connection.isUp) return state;
      return {
        ...state,
        connection: {
          isUp: action.isUp,
          since: action.at,
          reason: action.reason,
        },
      };
    case "move": {
      const total = state.window?.total ?? 0;
      const target =
        action.by === "first"
          ? 0
          : action.by === "last"
            ? total - 1
            : state.cursor + action.by;
      const cursor = clamp(target, 0, Math.max(0, total - 1));
      const top = scrolled(cursor, state.top, action.pageSize, total);
      const moved = { ...state, cursor, top };
      return { ...moved, selectedKey: rowAt(moved, cursor)?.key };
    }
    case "switchList":
      if (action.list === state.list) return state;
      return {
        ...state,
        list: action.list,
        cursor: 0,
        top: 0,
        selectedKey: undefined,
        window: undefined,
      };
    case "mode":
      return { ...state, mode: action.mode };
    case "status":
      return { ...state, status: action.status };
    case "toggleFreeze":
      return { ...state, isFrozen: !state.isFrozen };
    case "filter":
      return {
        ...state,
        filter: action.filter,
        cursor: 0,
        top: 0,
        selectedKey: undefined,
        window: undefined,
      };
    case "copied":
      return { ...state, copied: [...state.copied, action.id] };
  }
}

/** The list after (or before, with -1) the current one, wrapping. */
export function nextList(list: ListName, step: 1 | -1): ListName {
  const i = LIST_NAMES.indexOf(list);
  return LIST_NAMES[
    (i + step + LIST_NAMES.length) % LIST_NAMES.length
  ] as ListName;
}

/**
 * Average rates in `buckets` buckets of `bucketMs` ending at `now`;
 * undefined for a bucket without samples (before the UI started).
 */
export function rateBuckets(
  samples: RateSample[],
  now: number,
  buckets: number,
  bucketMs: number,
): (number | undefined)[] {
  const sums = new Array<number>(buckets).fill(0);
  const counts = new Array<number>(buckets).fill(0);
  for (const sample of samples) {
    const age = now - sample.at;
    const slot = buckets - 1 - Math.floor(age / bucketMs);
    if (slot < 0 || slot >= buckets) continue;
    sums[slot] = (sums[slot] ?? 0) + sample.rate;
    counts[slot] = (counts[slot] ?? 0) + 1;
  }
  return sums.map((sum, i) =>
    counts[i] ? sum / (counts[i] as number) : undefined,
  );
}
