/**
 * Starts the TUI on the real terminal. The command (src/commands/tui.ts)
 * checks flags and the terminal, then calls `runTui`.
 */
import { render } from "ink";
import { createElement } from "react";
import type { QueueContext } from "../queue/index.js";
import { App } from "./App.js";
import type { ConnectionListener, QueueSource } from "./data.js";
import { createQueueSource } from "./queue-source.js";

export type { QueueSource } from "./data.js";
export { createQueueSource } from "./queue-source.js";

/** Options of `runTui`. */
export interface TuiOptions {
  queue: QueueContext;
  refreshMs: number;
  isReadOnly: boolean;
  /** Connection events of the queue's persistent transport. */
  connection: { subscribe(listener: ConnectionListener): () => void };
}

/** Copies `text` to the terminal's clipboard with OSC 52. */
function copyWithOsc52(text: string): void {
  process.stdout.write(`\x1b]52;c;${Buffer.from(text).toString("base64")}\x07`);
}

/** Runs the TUI until the user quits; returns the ids copied with `y`. */
export async function runTui(options: TuiOptions): Promise<string[]> {
  const base = createQueueSource(options.queue, {
    isReadOnly: options.isReadOnly,
  });
  const source: QueueSource = {
    ...base,
    watchConnection: options.connection.subscribe,
  };
  let copied: string[] = [];
  const size = () => ({
    width: process.stdout.columns || 80,
    height: process.stdout.rows || 24,
  });
  const element = () =>
    createElement(App, {
      source,
      refreshMs: options.refreshMs,
      isReadOnly: options.isReadOnly,
      ...size(),
      copy: copyWithOsc52,
      onQuit: (ids: string[]) => {
        copied = ids;
      },
    });

  // The alternate screen keeps the shell's scrollback clean, like less/top.
  process.stdout.write("\x1b[?1049h");
  const instance = render(element(), { exitOnCtrlC: true, patchConsole: true });
  const onResize = () => instance.rerender(element());
  process.stdout.on("resize", onResize);
  try {
    await instance.waitUntilExit();
  } finally {
    process.stdout.off("resize", onResize);
    instance.cleanup();
    process.stdout.write("\x1b[?1049l");
  }
  return copied;
}

/** A tiny emitter for connection events (lost, restored). */
export function createConnectionEvents() {
  const listeners = new Set<ConnectionListener>();
  return {
    subscribe(listener: ConnectionListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit(isUp: boolean, reason?: string) {
      for (const listener of listeners) listener(isUp, reason);
    },
  };
}
