/**
 * `batchctl tui` in a real terminal, for end-to-end tests: the built binary
 * in a tmux session of a private tmux server (one per terminal, so other
 * sessions on the machine are untouched and a server still exiting is
 * never reused), keys sent with send-keys, the screen read with
 * capture-pane. The shell prints `EXITED <code>` when the TUI ends.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { CLI } from "./cli.js";
import { waitFor } from "./redis.js";

const run = promisify(execFile);
const SESSION = "tui";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Options of `openTuiTerminal`. */
export interface TuiTerminalOptions {
  /** Names the tmux server (with the test process's pid). */
  name: string;
  /** The TUI's whole environment (PATH and TERM are added). */
  env: NodeJS.ProcessEnv;
  /** Arguments after `batchctl tui`. */
  args?: string[];
  width: number;
  height: number;
  /** Pause after each key, so that esc is not read as alt. */
  keyPauseMs?: number;
}

/** A terminal running `batchctl tui`. */
export interface TuiTerminal {
  press(...keys: string[]): Promise<void>;
  /** Types `text` literally. */
  type(text: string): Promise<void>;
  screen(): Promise<string>;
  /** The screen once `check` holds (20 s at most; the last one on failure). */
  waitForScreen(
    check: (text: string) => boolean,
    what: string,
  ): Promise<string>;
  close(): Promise<void>;
}

/** Starts `batchctl tui` in a terminal of `width` x `height`. */
export async function openTuiTerminal(
  options: TuiTerminalOptions,
): Promise<TuiTerminal> {
  const socket = `batchctl-${options.name}-${process.pid}`;
  const tmux = (...args: string[]) => run("tmux", ["-L", socket, ...args]);
  const pause = options.keyPauseMs ?? 150;
  const env = Object.entries({ ...options.env, PATH: process.env.PATH ?? "" })
    .map(([name, value]) => `${name}='${value}'`)
    .join(" ");
  const args = (options.args ?? []).join(" ");
  const command = `env -i ${env} TERM=xterm-256color ${process.execPath} ${CLI} tui ${args}; echo "EXITED $?"; sleep 30`;
  await tmux(
    "new-session",
    "-d",
    "-s",
    SESSION,
    "-x",
    String(options.width),
    "-y",
    String(options.height),
    command,
  );

  const screen = async () =>
    (await tmux("capture-pane", "-p", "-t", SESSION)).stdout;
  return {
    async press(...keys) {
      for (const key of keys) {
        await tmux("send-keys", "-t", SESSION, key);
        await sleep(pause);
      }
    },
    async type(text) {
      await tmux("send-keys", "-t", SESSION, "-l", text);
      await sleep(pause);
    },
    screen,
    async waitForScreen(check, what) {
      let last = "";
      try {
        await waitFor(async () => check((last = await screen())), 20_000, what);
      } catch (error) {
        throw new Error(`${(error as Error).message}; screen:\n${last}`);
      }
      return last;
    },
    async close() {
      await tmux("kill-server").catch(() => undefined);
    },
  };
}
