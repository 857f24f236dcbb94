/**
 * The parts of the TUI's frame around the key handling: the body picked
 * by mode, the status line and the footer hints.
 */
import { Text } from "ink";
import { DetailPane } from "./DetailPane.js";
import { EnqueueView } from "./EnqueueView.js";
import { fit, formatCount } from "./format.js";
import { GroupsView } from "./GroupsView.js";
import { HelpView } from "./HelpView.js";
import { hintLine, type View } from "./keys.js";
import { ListTable } from "./ListTable.js";
import type { Mode, State } from "./state.js";

/** The key-table view a mode reads its keys from (undefined: text entry). */
export function viewOf(mode: Mode): View | undefined {
  switch (mode.kind) {
    case "list":
    case "detail":
    case "help":
    case "groups":
      return mode.kind;
    default:
      return undefined;
  }
}

export function footer(
  state: State,
  isReadOnly: boolean,
  width: number,
): string {
  const mode = state.mode;
  if (mode.kind === "confirm") return "y confirm · any other key cancels";
  if (mode.kind === "input") return "enter apply · esc cancel";
  if (mode.kind === "enqueue") return "enter queue · esc cancel";
  const view = viewOf(mode) ?? "list";
  const extra =
    view === "list" && isReadOnly ? "  (read-only: actions off)" : "";
  return hintLine(view, isReadOnly, width - extra.length) + extra;
}

export function StatusLine({ state, width }: { state: State; width: number }) {
  const mode = state.mode;
  if (mode.kind === "confirm") {
    return (
      <Text wrap="truncate" color="yellow" bold>
        {fit(mode.question, width - 6, false)} [y/N]
      </Text>
    );
  }
  if (mode.kind === "input") {
    const label =
      mode.purpose === "filter"
        ? "filter (tipo or text): "
        : "cache keys to delete (space separated): ";
    return (
      <Text wrap="truncate">
        <Text bold>{label}</Text>
        {mode.value}▏
      </Text>
    );
  }
  const window = state.window;
  const position =
    window && window.total > 0
      ? `${formatCount(state.cursor + 1)}/${formatCount(window.total)}`
      : "";
  const scanned =
    window?.scanned && window.scanned.searched < window.scanned.of
      ? ` in newest ${formatCount(window.scanned.searched)}`
      : "";
  const filter = state.filter ? ` · “${state.filter}”${scanned}` : "";
  const where = fit(
    `${state.list} ${position}${filter}`,
    Math.floor(width / 2),
    false,
  );
  const status = state.status;
  const color =
    status?.tone === "error"
      ? "red"
      : status?.tone === "ok"
        ? "green"
        : undefined;
  // One line whatever the lengths: the status gives way to the position.
  const room = Math.max(0, width - where.length - 1);

  return (
    <Text wrap="truncate">
      <Text color={color}>{fit(status?.text ?? "", room)}</Text>{" "}
      <Text dimColor>{where}</Text>
    </Text>
  );
}

interface BodyProps {
  state: State;
  width: number;
  height: number;
  pageSize: number;
  now: number;
  isReadOnly: boolean;
}

export function Body({
  state,
  width,
  height,
  pageSize,
  now,
  isReadOnly,
}: BodyProps) {
  const mode = state.mode.kind === "confirm" ? state.mode.back : state.mode;
  switch (mode.kind) {
    case "detail":
      return (
        <DetailPane
          list={state.list}
          row={mode.row}
          scroll={mode.scroll}
          width={width}
          height={height}
        />
      );
    case "help":
      return (
        <HelpView
          isReadOnly={isReadOnly}
          scroll={mode.scroll}
          width={width}
          height={height}
        />
      );
    case "groups":
      return (
        <GroupsView
          result={mode.result}
          cursor={mode.cursor}
          width={width}
          height={height}
          now={now}
        />
      );
    case "enqueue":
      return <EnqueueView form={mode} width={width} height={height} />;
    default:
      return (
        <ListTable state={state} width={width} pageSize={pageSize} now={now} />
      );
  }
}
