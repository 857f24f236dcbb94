/**
 * Renders the TUI with ink-testing-library over a real queue source (the
 * shared operations against the real Redis), and drives it with keys.
 */
import { render } from "ink-testing-library";
import { createElement } from "react";
import { App, type AppProps } from "../../src/ui/App.js";
import type { QueueSource } from "../../src/ui/data.js";
import { createQueueSource } from "../../src/ui/queue-source.js";
import type { QueueContext } from "../../src/queue/index.js";
import type { TaskRecord } from "../../src/queue/records.js";

/** Key sequences as a terminal sends them. */
export const KEYS = {
  enter: "\r",
  escape: "\x1b",
  tab: "\t",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  backspace: "\x7f",
} as const;

/** A rendered App and helpers to press keys and wait for frames. */
export interface RenderedTui {
  source: QueueSource;
  copied: string[];
  lastFrame(): string;
  /** Sends keys one at a time, letting Ink handle each. */
  press(...keys: string[]): Promise<void>;
  /** Types text as one write per character. */
  type(text: string): Promise<void>;
  /** Waits until the frame matches; throws with the frame otherwise. */
  waitFor(
    check: string | RegExp | ((frame: string) => boolean),
    timeoutMs?: number,
  ): Promise<string>;
  unmount(): void;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Renders the TUI for `queue` at `width` x `height`. */
export function renderTui(
  queue: QueueContext,
  options: Partial<Omit<AppProps, "source" | "copy" | "onQuit">> & {
    source?: QueueSource;
  } = {},
): RenderedTui {
  const source =
    options.source ??
    createQueueSource(queue, { isReadOnly: options.isReadOnly ?? false });
  const copied: string[] = [];
  const app = render(
    createElement(App, {
      source,
      refreshMs: options.refreshMs ?? 200,
      isReadOnly: options.isReadOnly ?? false,
      width: options.width ?? 80,
      height: options.height ?? 24,
      initialList: options.initialList,
      copy: (text: string) => copied.push(text),
      onQuit: () => undefined,
    }),
  );
  const lastFrame = () => app.lastFrame() ?? "";

  return {
    source,
    copied,
    lastFrame,
    async press(...keys) {
      for (const key of keys) {
        app.stdin.write(key);
        await tick(60);
      }
    },
    async type(text) {
      for (const char of text) {
        app.stdin.write(char);
        await tick(15);
      }
      await tick(40);
    },
    async waitFor(check, timeoutMs = 10_000) {
      const matches = (frame: string) =>
        typeof check === "string"
          ? frame.includes(check)
          : check instanceof RegExp
            ? check.test(frame)
            : check(frame);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const frame = lastFrame();
        if (matches(frame)) return frame;
        await tick(25);
      }
      throw new Error(`frame never matched ${String(check)}:\n${lastFrame()}`);
    },
    unmount: () => app.unmount(),
  };
}

/** A failure record as the worker writes it. */
export function failureRecord(
  id: string,
  overrides: Partial<TaskRecord> = {},
): TaskRecord {
  const at = new Date().toISOString();
  return {
    id,
    tipo: "generar_reporte",
    tarea: { tipo: "generar_reporte", fecha: "2024-01-15", id },
    intentos: 5,
    encolada_en: at,
    iniciada_en: at,
    terminada_en: at,
    duracion_ms: 12,
    worker: "w-test",
    error: {
      mensaje: "connection terminated unexpectedly",
      clase: "transitorio",
      codigo: "08006",
    },
    ...overrides,
  };
}

/** Pushes records to `P:fallidas` so the first given is the newest. */
export async function pushFailures(
  queue: QueueContext,
  ...records: TaskRecord[]
) {
  const values = records.map((r) => JSON.stringify(r)).reverse();
  await queue.transport.command("LPUSH", queue.keys.failed, ...values);
}
