/**
 * Every key binding of the TUI, as data. Handlers ask `commandFor` what a
 * key means in the current view; the help screen and the footer hints are
 * built from this table, so they cannot drift apart.
 *
 * Convention: a lower-case letter acts on one task, a capital letter on
 * many (R retries all shown, P pauses every worker); destructive actions
 * always ask for confirmation.
 */
import type { Key } from "ink";

/** Where a binding applies. */
export type View = "list" | "detail" | "groups" | "help";

export type CommandId =
  | "list.next"
  | "list.previous"
  | "list.pick"
  | "cursor.up"
  | "cursor.down"
  | "cursor.pageUp"
  | "cursor.pageDown"
  | "cursor.first"
  | "cursor.last"
  | "task.open"
  | "task.copyId"
  | "view.filter"
  | "view.freeze"
  | "view.groups"
  | "view.back"
  | "view.clearFilter"
  | "app.help"
  | "app.quit"
  | "task.enqueue"
  | "task.retry"
  | "tasks.retryShown"
  | "task.delete"
  | "group.retry"
  | "group.delete"
  | "cache.purge"
  | "queue.pause";

/** One command: its keys, what it does, where, and whether it changes data. */
export interface KeyBinding {
  id: CommandId;
  keys: string[];
  /** How the keys are written in help (defaults to the keys joined). */
  label?: string;
  description: string;
  group: "Move" | "Look" | "Act on one" | "Act on many" | "App";
  views: View[];
  /** Changes the queue: off with --read-only. */
  isAction?: boolean;
  /** Asks for confirmation first. */
  isConfirmed?: boolean;
  /** Shown in the footer hint line of its views. */
  isHint?: boolean;
}

const BROWSE: View[] = ["list", "detail"];

export const KEY_BINDINGS: KeyBinding[] = [
  {
    id: "list.next",
    keys: ["tab"],
    description: "next list",
    group: "Move",
    views: ["list"],
  },
  {
    id: "list.previous",
    keys: ["shift-tab"],
    description: "previous list",
    group: "Move",
    views: ["list"],
  },
  {
    id: "list.pick",
    keys: ["1", "2", "3", "4", "5", "6"],
    label: "1-6",
    description:
      "procesar, procesando, reintentos, programadas, procesadas, fallidas",
    group: "Move",
    views: ["list"],
  },
  {
    id: "cursor.up",
    keys: ["up", "k"],
    label: "↑ k",
    description: "up (detail: scroll)",
    group: "Move",
    views: ["list", "detail", "groups", "help"],
  },
  {
    id: "cursor.down",
    keys: ["down", "j"],
    label: "↓ j",
    description: "down (detail: scroll)",
    group: "Move",
    views: ["list", "detail", "groups", "help"],
  },
  {
    id: "cursor.pageUp",
    keys: ["pageup"],
    label: "PgUp",
    description: "page up",
    group: "Move",
    views: ["list", "detail", "groups"],
  },
  {
    id: "cursor.pageDown",
    keys: ["pagedown"],
    label: "PgDn",
    description: "page down",
    group: "Move",
    views: ["list", "detail", "groups"],
  },
  {
    id: "cursor.first",
    keys: ["home"],
    label: "Home",
    description: "first row",
    group: "Move",
    views: ["list", "groups"],
  },
  {
    id: "cursor.last",
    keys: ["end"],
    label: "End",
    description: "last row",
    group: "Move",
    views: ["list", "groups"],
  },
  {
    id: "task.open",
    keys: ["enter"],
    description: "open the task's detail",
    group: "Look",
    views: ["list"],
    isHint: true,
  },
  {
    id: "view.back",
    keys: ["escape"],
    label: "esc",
    description: "back / cancel",
    group: "Look",
    views: ["detail", "groups", "help"],
    isHint: true,
  },
  {
    id: "view.clearFilter",
    keys: ["escape"],
    label: "esc",
    description: "clear the filter",
    group: "Look",
    views: ["list"],
  },
  {
    id: "task.copyId",
    keys: ["y"],
    description: "copy the id (OSC 52; also printed on exit)",
    group: "Look",
    views: BROWSE,
  },
  {
    id: "view.filter",
    keys: ["/"],
    description: "filter by tipo or text (id, payload, error)",
    group: "Look",
    views: ["list"],
    isHint: true,
  },
  {
    id: "view.freeze",
    keys: ["space"],
    description: "freeze / unfreeze the live list",
    group: "Look",
    views: ["list"],
    isHint: true,
  },
  {
    id: "view.groups",
    keys: ["g"],
    description: "failures grouped by error",
    group: "Look",
    views: ["list"],
    isHint: true,
  },
  {
    id: "task.enqueue",
    keys: ["e"],
    description: "enqueue a task (form)",
    group: "Act on one",
    views: ["list"],
    isAction: true,
    isHint: true,
  },
  {
    id: "task.retry",
    keys: ["r"],
    description: "retry the selected failed task",
    group: "Act on one",
    views: BROWSE,
    isAction: true,
    isHint: true,
  },
  {
    id: "task.delete",
    keys: ["d"],
    description: "delete the selected entry",
    group: "Act on one",
    views: BROWSE,
    isAction: true,
    isConfirmed: true,
  },
  {
    id: "cache.purge",
    keys: ["c"],
    description: "delete cache keys now (typed in)",
    group: "Act on one",
    views: ["list"],
    isAction: true,
    isConfirmed: true,
  },
  {
    id: "tasks.retryShown",
    keys: ["R"],
    description: "retry every failed task shown",
    group: "Act on many",
    views: ["list"],
    isAction: true,
    isConfirmed: true,
  },
  {
    id: "group.retry",
    keys: ["R"],
    description: "retry the whole selected group",
    group: "Act on many",
    views: ["groups"],
    isAction: true,
    isConfirmed: true,
    isHint: true,
  },
  {
    id: "group.delete",
    keys: ["D"],
    description: "delete the whole selected group",
    group: "Act on many",
    views: ["groups"],
    isAction: true,
    isConfirmed: true,
    isHint: true,
  },
  {
    id: "queue.pause",
    keys: ["P"],
    description: "pause / resume every worker",
    group: "Act on many",
    views: ["list"],
    isAction: true,
    isConfirmed: true,
  },
  {
    id: "app.help",
    keys: ["?"],
    description: "this help",
    group: "App",
    views: ["list", "detail", "groups"],
    isHint: true,
  },
  {
    id: "app.quit",
    keys: ["q"],
    description: "quit",
    group: "App",
    views: ["list", "detail", "groups", "help"],
    isHint: true,
  },
];

/** The name of a key press as the table writes it (`enter`, `R`, `up`). */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return "up";
  if (key.downArrow) return "down";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.pageUp) return "pageup";
  if (key.pageDown) return "pagedown";
  if (key.home) return "home";
  if (key.end) return "end";
  if (key.return) return "enter";
  if (key.escape) return "escape";
  if (key.tab) return key.shift ? "shift-tab" : "tab";
  if (key.backspace || key.delete) return "backspace";
  if (input === " ") return "space";
  return input;
}

/** The command a key means in `view`, if any. */
export function commandFor(view: View, name: string): KeyBinding | undefined {
  return KEY_BINDINGS.find(
    (binding) => binding.views.includes(view) && binding.keys.includes(name),
  );
}

/** How a binding's keys are written for people. */
export function keyLabel(binding: KeyBinding): string {
  return binding.label ?? binding.keys.join(" ");
}

/**
 * The footer hint of a view (`tab list  enter detail  ...  ? help  q quit`),
 * as many hints as fit in `width`; help and quit are always there.
 */
export function hintLine(
  view: View,
  isReadOnly: boolean,
  width = Infinity,
): string {
  const hints = KEY_BINDINGS.filter(
    (b) => b.isHint && b.views.includes(view) && !(isReadOnly && b.isAction),
  ).map((b) => ({ id: b.id, text: `${keyLabel(b)} ${shortDescription(b)}` }));
  const always = hints.filter(
    (h) => h.id === "app.help" || h.id === "app.quit",
  );
  const rest = hints.filter((h) => !always.includes(h));
  const tail = always.map((h) => h.text).join("  ");
  const kept: string[] = [];
  for (const hint of rest) {
    const line = [...kept, hint.text, tail].join("  ");
    if (line.length > width) break;
    kept.push(hint.text);
  }
  return [...kept, tail].filter(Boolean).join("  ");
}

function shortDescription(binding: KeyBinding): string {
  const short: Partial<Record<CommandId, string>> = {
    "list.next": "list",
    "task.open": "detail",
    "view.back": "back",
    "view.filter": "filter",
    "view.freeze": "freeze",
    "view.groups": "groups",
    "task.enqueue": "enqueue",
    "task.retry": "retry",
    "group.retry": "retry group",
    "group.delete": "delete group",
    "app.help": "help",
    "app.quit": "quit",
  };
  return short[binding.id] ?? binding.description;
}
