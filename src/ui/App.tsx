/**
 * The TUI root: holds the state, polls the source, maps keys to commands
 * (src/ui/keys.ts) and picks the view. Actions report in the status line.
 */
import { Box, Text, useApp, useInput, type Key } from "ink";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { LIST_NAMES, type ListName } from "../queue/index.js";
import type { QueueSource, RecordsRetry } from "./data.js";
import { buildTask, fieldsOf, tipoAt, validateForm } from "./enqueue-form.js";
import { formatCount, shortId } from "./format.js";
import { Header, headerHeight } from "./Header.js";
import { commandFor, keyName, type CommandId } from "./keys.js";
import { Body, footer, StatusLine, viewOf } from "./Layout.js";
import {
  initialState,
  nextList,
  reduce,
  selectedRow,
  type Mode,
  type Action,
  type PendingAction,
  type State,
} from "./state.js";
import { useQueuePoll } from "./use-queue-poll.js";

export interface AppProps {
  source: QueueSource;
  refreshMs: number;
  isReadOnly: boolean;
  width: number;
  height: number;
  /** Copies text to the clipboard (OSC 52 in the real terminal). */
  copy(text: string): void;
  /** Called once when the user quits, with the ids copied meanwhile. */
  onQuit(copied: string[]): void;
  initialList?: ListName;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Grouping reads up to 10,000 records: not more often than this. */
const GROUPS_REFRESH_MS = 3000;

/** What identifies a failure group across refreshes. */
function groupKey(group: { tipo: string; clase: string; mensaje: string }) {
  return `${group.tipo}\n${group.clase}\n${group.mensaje}`;
}

/** Lines outside the body: status and footer. */
const FOOTER_LINES = 2;

export function App(props: AppProps) {
  const { source, isReadOnly, width, height } = props;
  const { exit } = useApp();
  // The state lives in a ref updated as each action is dispatched, so key
  // handlers always see the latest state even when keys arrive faster
  // than Ink renders (typing, pasting, tmux send-keys).
  const stateRef = useRef<State | undefined>(undefined);
  stateRef.current ??= initialState(props.initialList);
  const [, render] = useReducer((n: number) => n + 1, 0);
  const dispatch = useCallback((action: Action) => {
    stateRef.current = reduce(stateRef.current as State, action);
    render();
  }, []);
  const live = () => stateRef.current as State;
  const state = live();
  const [now, setNow] = useState(Date.now());
  const bodyHeight = Math.max(
    3,
    height - headerHeight(state.snapshot, width) - FOOTER_LINES,
  );
  const pageSize = bodyHeight - 1;

  useQueuePoll(source, state, dispatch, props.refreshMs, pageSize);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(
    () =>
      source.watchConnection?.((isUp, reason) =>
        dispatch({ type: "connection", isUp, reason, at: Date.now() }),
      ),
    [source],
  );

  const say = useCallback(
    (text: string, tone: "info" | "ok" | "error" = "info") =>
      dispatch({ type: "status", status: { text, tone } }),
    [],
  );

  const isGrouping = useRef(false);
  /** Regroups the failures; the selection stays on its group. */
  const loadGroups = useCallback(async () => {
    if (isGrouping.current) return;
    isGrouping.current = true;
    try {
      const result = await source.groups();
      const mode = live().mode;
      // The user may have left the view while the groups were read.
      if (mode.kind !== "groups") return;
      const selected = mode.result?.groups[mode.cursor];
      const found = selected
        ? result.groups.findIndex((g) => groupKey(g) === groupKey(selected))
        : -1;
      const last = Math.max(0, result.groups.length - 1);
      const cursor = found >= 0 ? found : Math.min(mode.cursor, last);
      dispatch({ type: "mode", mode: { kind: "groups", result, cursor } });
    } catch (error) {
      say(`grouping failed: ${message(error)}`, "error");
    } finally {
      isGrouping.current = false;
    }
  }, [source, say]);

  const isGroupsView = state.mode.kind === "groups";
  useEffect(() => {
    if (!isGroupsView) return;
    const timer = setInterval(
      () => void loadGroups(),
      Math.max(props.refreshMs, GROUPS_REFRESH_MS),
    );
    return () => clearInterval(timer);
  }, [isGroupsView, loadGroups, props.refreshMs]);

  const run = useCallback(
    async (action: PendingAction, back: Mode) => {
      dispatch({
        type: "mode",
        mode:
          back.kind === "detail" && action.kind !== "pause"
            ? { kind: "list" }
            : back,
      });
      say("working…");
      try {
        if (action.kind === "retry") {
          const done = await source.retry(action.raws);
          const skipped = Object.values(done.skipped).reduce(
            (a, b) => a + b,
            0,
          );
          const extra = [
            skipped ? `${skipped} not retryable (${skipReasons(done)})` : "",
            done.gone ? `${done.gone} already gone` : "",
          ].filter(Boolean);
          say(
            [
              `retried ${formatCount(done.moved)} ${action.what}`,
              ...extra,
            ].join("; "),
            done.moved ? "ok" : "error",
          );
        } else if (action.kind === "delete") {
          const removed = await source.remove(action.list, action.raws);
          say(
            `deleted ${formatCount(removed)} ${action.what} from ${action.list}`,
            removed ? "ok" : "error",
          );
        } else if (action.kind === "purge") {
          const existed = await source.purgeCache(action.keys);
          say(
            `purged cache: ${existed} of ${action.keys.length} keys existed and are gone`,
            "ok",
          );
        } else {
          await source.setPaused(action.isPaused);
          say(
            action.isPaused
              ? "paused: workers fetch nothing new (P resumes)"
              : "resumed: workers fetch again",
            "ok",
          );
        }
      } catch (error) {
        say(`failed: ${message(error)}`, "error");
      }
      if (back.kind === "groups") void loadGroups();
    },
    [source, say, loadGroups],
  );

  const confirm = (question: string, action: PendingAction) =>
    dispatch({
      type: "mode",
      mode: { kind: "confirm", question, action, back: live().mode },
    });

  const runCommand = async (id: CommandId, name: string) => {
    const mode = live().mode;
    const row = mode.kind === "detail" ? mode.row : selectedRow(live());
    switch (id) {
      case "app.quit":
        props.onQuit(live().copied);
        exit();
        return;
      case "app.help":
        dispatch({ type: "mode", mode: { kind: "help", scroll: 0 } });
        return;
      case "view.clearFilter":
        if (!live().filter) return;
        dispatch({ type: "filter", filter: "" });
        say("filter cleared");
        return;
      case "view.back":
        dispatch({ type: "mode", mode: { kind: "list" } });
        return;
      case "list.next":
      case "list.previous":
        dispatch({
          type: "switchList",
          list: nextList(live().list, id === "list.next" ? 1 : -1),
        });
        return;
      case "list.pick":
        dispatch({
          type: "switchList",
          list: LIST_NAMES[Number(name) - 1] as ListName,
        });
        return;
      case "cursor.up":
      case "cursor.down":
      case "cursor.pageUp":
      case "cursor.pageDown":
      case "cursor.first":
      case "cursor.last":
        move(id);
        return;
      case "task.open":
        if (row)
          dispatch({ type: "mode", mode: { kind: "detail", row, scroll: 0 } });
        return;
      case "task.copyId":
        if (!row?.id)
          return say("nothing to copy: this entry has no id", "error");
        props.copy(row.id);
        dispatch({ type: "copied", id: row.id });
        say(`copied ${row.id} (OSC 52; also printed on exit)`, "ok");
        return;
      case "view.filter":
        dispatch({
          type: "mode",
          mode: { kind: "input", purpose: "filter", value: live().filter },
        });
        return;
      case "view.freeze":
        dispatch({ type: "toggleFreeze" });
        say(
          live().isFrozen
            ? "live again"
            : "frozen: the list stops updating (space to go live)",
        );
        return;
      case "view.groups":
        dispatch({ type: "mode", mode: { kind: "groups", cursor: 0 } });
        void loadGroups();
        return;
      case "task.enqueue":
        dispatch({
          type: "mode",
          mode: {
            kind: "enqueue",
            tipoIndex: 0,
            values: {},
            focus: 0,
            errors: {},
          },
        });
        return;
      case "task.retry":
        if (live().list !== "fallidas")
          return say("r retries failed tasks: open fallidas (6)", "error");
        if (!row) return say("no task selected", "error");
        dispatch({
          type: "mode",
          mode: mode.kind === "detail" ? { kind: "list" } : mode,
        });
        return void run(
          { kind: "retry", raws: [row.raw], what: `task ${shortId(row.id)}` },
          { kind: "list" },
        );
      case "tasks.retryShown": {
        if (live().list !== "fallidas")
          return say("R retries failed tasks: open fallidas (6)", "error");
        say("counting the failed tasks shown…");
        const shown = await source.shown(live().list, live().filter);
        if (shown.rows.length === 0)
          return say("no failed tasks shown", "error");
        const capped =
          shown.scanned && shown.scanned.searched < shown.scanned.of
            ? ` (in the newest ${formatCount(shown.scanned.searched)})`
            : "";
        const what = live().filter ? ` matching “${live().filter}”` : "";
        return confirm(
          `Retry ${formatCount(shown.rows.length)} failed tasks${what}${capped}?`,
          {
            kind: "retry",
            raws: shown.rows.map((r) => r.raw),
            what: "failed tasks",
          },
        );
      }
      case "task.delete":
        if (!row) return say("no entry selected", "error");
        if (live().list === "procesando")
          return say(
            "a task in flight cannot be deleted: a worker is running it",
            "error",
          );
        return confirm(
          `Delete ${shortId(row.id)} (${row.tipo ?? "no tipo"}) from ${live().list}?`,
          {
            kind: "delete",
            list: live().list,
            raws: [row.raw],
            what: `entry ${shortId(row.id)}`,
          },
        );
      case "group.retry":
      case "group.delete": {
        if (mode.kind !== "groups" || !mode.result) return;
        const group = mode.result.groups[mode.cursor];
        if (!group) return;
        const count = formatCount(group.count);
        const mensaje = group.mensaje.slice(0, 40);
        const label = `${count} ${group.tipo} failures “${mensaje}”`;
        return id === "group.retry"
          ? confirm(`Retry the group of ${label}?`, {
              kind: "retry",
              raws: group.raws,
              what: "failed tasks of the group",
            })
          : confirm(`Delete the group of ${label}?`, {
              kind: "delete",
              list: "fallidas",
              raws: group.raws,
              what: "records of the group",
            });
      }
      case "cache.purge":
        dispatch({
          type: "mode",
          mode: { kind: "input", purpose: "purge", value: "" },
        });
        return;
      case "queue.pause": {
        const isPaused = !(live().snapshot?.pause.paused ?? false);
        return confirm(
          isPaused
            ? "Pause every worker? In-flight tasks finish; nothing new is fetched."
            : "Resume every worker?",
          { kind: "pause", isPaused },
        );
      }
    }
  };

  const move = (id: CommandId) => {
    const mode = live().mode;
    const step = {
      "cursor.up": -1,
      "cursor.down": 1,
      "cursor.pageUp": -pageSize,
      "cursor.pageDown": pageSize,
    }[id as string];
    if (mode.kind === "detail" || mode.kind === "help") {
      const scroll = Math.max(0, mode.scroll + (step ?? 0));
      dispatch({ type: "mode", mode: { ...mode, scroll } });
      return;
    }
    if (mode.kind === "groups") {
      const count = mode.result?.groups.length ?? 0;
      const target =
        id === "cursor.first"
          ? 0
          : id === "cursor.last"
            ? count - 1
            : mode.cursor + (step ?? 0);
      dispatch({
        type: "mode",
        mode: { ...mode, cursor: Math.max(0, Math.min(count - 1, target)) },
      });
      return;
    }
    const by =
      id === "cursor.first"
        ? "first"
        : id === "cursor.last"
          ? "last"
          : (step ?? 0);
    dispatch({ type: "move", by, pageSize });
  };

  const handleText = (
    input: string,
    key: Key,
    value: string,
  ): string | undefined => {
    if (key.backspace || key.delete) return value.slice(0, -1);
    if (
      key.ctrl ||
      key.meta ||
      key.tab ||
      key.upArrow ||
      key.downArrow ||
      key.leftArrow ||
      key.rightArrow
    )
      return undefined;
    if (input && !key.return && !key.escape) return value + input;
    return undefined;
  };

  const handleEnqueueKey = (
    input: string,
    key: Key,
    form: Extract<Mode, { kind: "enqueue" }>,
  ) => {
    const tipo = tipoAt(form.tipoIndex);
    const fields = fieldsOf(tipo);
    if (key.escape) return dispatch({ type: "mode", mode: { kind: "list" } });
    if (key.tab || key.downArrow)
      return dispatch({
        type: "mode",
        mode: { ...form, focus: (form.focus + 1) % (fields.length + 1) },
      });
    if (key.upArrow)
      return dispatch({
        type: "mode",
        mode: {
          ...form,
          focus: (form.focus + fields.length) % (fields.length + 1),
        },
      });
    if (form.focus === 0 && (key.leftArrow || key.rightArrow)) {
      const tipoIndex = form.tipoIndex + (key.rightArrow ? 1 : -1);
      return dispatch({
        type: "mode",
        mode: { ...form, tipoIndex, errors: {} },
      });
    }
    if (key.return) {
      const errors = validateForm(tipo, form.values);
      if (Object.keys(errors).length > 0)
        return dispatch({ type: "mode", mode: { ...form, errors } });
      dispatch({ type: "mode", mode: { kind: "list" } });
      source
        .enqueue(buildTask(tipo, form.values))
        .then((task) => say(`queued ${tipo} ${task.id ?? ""}`, "ok"))
        .catch((error: unknown) =>
          say(`enqueue failed: ${message(error)}`, "error"),
        );
      return;
    }
    const field = fields[form.focus - 1];
    if (!field) return;
    const value = handleText(input, key, form.values[field.name] ?? "");
    if (value === undefined) return;
    const errors = { ...form.errors };
    delete errors[field.name];
    dispatch({
      type: "mode",
      mode: {
        ...form,
        values: { ...form.values, [field.name]: value },
        errors,
      },
    });
  };

  const handleInputKey = (
    input: string,
    key: Key,
    mode: Extract<Mode, { kind: "input" }>,
  ) => {
    if (key.escape) return dispatch({ type: "mode", mode: { kind: "list" } });
    if (key.return) {
      dispatch({ type: "mode", mode: { kind: "list" } });
      if (mode.purpose === "filter") {
        dispatch({ type: "filter", filter: mode.value.trim() });
        return say(
          mode.value.trim()
            ? `filter: ${mode.value.trim()} (esc clears it)`
            : "filter cleared",
        );
      }
      const keys = mode.value.split(/[\s,]+/).filter(Boolean);
      if (keys.length === 0) return say("no cache keys typed: nothing purged");
      const shown = keys.slice(0, 3).join(" ") + (keys.length > 3 ? " …" : "");
      return confirm(
        `Delete ${keys.length} cache key${keys.length > 1 ? "s" : ""} now (${shown})?`,
        { kind: "purge", keys },
      );
    }
    const value = handleText(input, key, mode.value);
    if (value !== undefined)
      dispatch({ type: "mode", mode: { ...mode, value } });
  };

  useInput((input, key) => {
    const mode = live().mode;
    if (mode.kind === "confirm") {
      if (input === "y" || input === "Y") void run(mode.action, mode.back);
      else {
        dispatch({ type: "mode", mode: mode.back });
        say("cancelled");
      }
      return;
    }
    if (mode.kind === "enqueue") return handleEnqueueKey(input, key, mode);
    if (mode.kind === "input") return handleInputKey(input, key, mode);

    const view = viewOf(mode);
    if (!view) return;
    const name = keyName(input, key);
    const binding = commandFor(view, name);
    if (!binding) return;
    if (binding.isAction && isReadOnly)
      return say(`read-only: ${binding.description} is off`, "error");
    void runCommand(binding.id, name).catch((error: unknown) =>
      say(`failed: ${message(error)}`, "error"),
    );
  });

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header
        state={state}
        target={source.target}
        prefix={source.prefix}
        width={width}
        isReadOnly={isReadOnly}
        now={now}
      />
      <Body
        state={state}
        width={width}
        height={bodyHeight}
        pageSize={pageSize}
        now={now}
        isReadOnly={isReadOnly}
      />
      <StatusLine state={state} width={width} />
      <Text dimColor wrap="truncate">
        {footer(state, isReadOnly, width)}
      </Text>
    </Box>
  );
}

/** `task not JSON, entry unreadable`: why records were not retried. */
function skipReasons(done: RecordsRetry): string {
  const words: Record<string, string> = {
    not_json: "task not JSON",
    not_object: "task not an object",
    truncated: "task cut in the record",
    unreadable: "not a failure record",
  };
  return Object.keys(done.skipped)
    .map((reason) => words[reason] ?? reason)
    .join(", ");
}
