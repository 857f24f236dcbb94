/**
 * `batchctl tui` as an on-call person runs it: the built binary in a real
 * terminal (tmux) against the real Redis with a running `batchctl work`;
 * keys are pressed with send-keys and the screen read with capture-pane.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { openE2e, type E2eContext } from "../helpers/e2e.js";
import { readRecords, waitFor } from "../helpers/redis.js";
import { failureRecord, pushFailures } from "../helpers/ui.js";

const run = promisify(execFile);

function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A private tmux server, so other sessions on the machine are untouched. */
const SOCKET = `batchctl-e2e-${process.pid}`;
const SESSION = "tui";
const tmux = (...args: string[]) => run("tmux", ["-L", SOCKET, ...args]);
const screen = async () =>
  (await tmux("capture-pane", "-p", "-t", SESSION)).stdout;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Presses tmux keys one by one, pausing so esc is not read as alt. */
async function press(...keys: string[]) {
  for (const key of keys) {
    await tmux("send-keys", "-t", SESSION, key);
    await sleep(150);
  }
}

async function typeText(text: string) {
  await tmux("send-keys", "-t", SESSION, "-l", text);
  await sleep(150);
}

async function waitForScreen(check: (text: string) => boolean, what: string) {
  let last = "";
  try {
    await waitFor(async () => check((last = await screen())), 20_000, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}; screen:\n${last}`);
  }
  return last;
}

describe("batchctl tui in a terminal", () => {
  let ctx: E2eContext;

  beforeAll(async () => {
    if (!hasTmux()) {
      throw new Error(
        "tmux is missing: install it (bash .ci/run does) to run this test",
      );
    }
    ctx = await openE2e("tui");
  });

  afterAll(async () => {
    await tmux("kill-server").catch(() => undefined);
    await ctx?.cleanup();
    await ctx?.close();
  });

  it("refuses to start without a terminal, in one line, exit 2", async () => {
    const result = await runCli(["tui"], ctx.env({ CI: "true" }));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "batchctl: tui: needs an interactive terminal (CI is set): stdin and stdout must be a TTY\n",
    );
  });

  it("refuses a --refresh below 100 ms, in one line, exit 2", async () => {
    const result = await runCli(["tui", "--refresh", "10"], ctx.env());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "batchctl: --refresh: must be from 100 to 2147483647 (milliseconds)\n",
    );
  });

  it("switches lists, opens a detail, retries a failed task and enqueues one", async () => {
    const { queue } = ctx;
    // A failure that succeeds when retried: a report of a real day.
    await pushFailures(queue, failureRecord("e2e-fail-0001"));
    ctx.start(["work", "--no-task-log", "--concurrency", "2"]);
    await waitFor(
      async () =>
        (
          await ctx.queue.transport.command<string[]>(
            "SMEMBERS",
            queue.keys.workers,
          )
        ).length === 1,
      20_000,
      "worker up",
    );

    const env = Object.entries(ctx.env({ PATH: process.env.PATH ?? "" }))
      .map(([name, value]) => `${name}='${value}'`)
      .join(" ");
    const command = `env -i ${env} TERM=xterm-256color ${process.execPath} ${CLI} tui --refresh 300; echo "EXITED $?"; sleep 30`;
    await tmux(
      "new-session",
      "-d",
      "-s",
      SESSION,
      "-x",
      "100",
      "-y",
      "30",
      command,
    );

    let text = await waitForScreen(
      (s) => s.includes("● connected") && s.includes("1 live"),
      "the header",
    );
    expect(text).toContain(queue.keys.prefix);

    await press("6");
    text = await waitForScreen(
      (s) => s.includes("e2e-fail"),
      "the fallidas list",
    );
    expect(text).toMatch(/› e2e-fail generar_reporte .* connection terminated/);

    await press("Enter");
    text = await waitForScreen(
      (s) => s.includes("id           e2e-fail-0001"),
      "the detail pane",
    );
    expect(text).toMatch(
      /error +transitorio \(08006\): connection terminated unexpectedly/,
    );
    await press("Escape");
    await waitForScreen((s) => !s.includes("Detail"), "the list again");

    await press("r");
    await waitForScreen(
      (s) => s.includes("retried 1 task e2e-fail"),
      "the retry outcome",
    );
    await waitFor(
      async () =>
        (await readRecords(queue, queue.keys.processed)).some(
          (r) => r.id === "e2e-fail-0001",
        ),
      20_000,
      "the retried task processed",
    );
    await waitForScreen(
      (s) => /6 fallidas 0/.test(s) && /5 procesadas 1/.test(s),
      "the counts after the retry",
    );

    await press("e");
    await waitForScreen(
      (s) => s.includes("Enqueue a task"),
      "the enqueue form",
    );
    await press("Right", "Right", "Tab");
    await typeText("2024-01-15");
    await press("Enter");
    text = await waitForScreen(
      (s) => s.includes("queued generar_reporte"),
      "the enqueue outcome",
    );
    const id = /queued generar_reporte (\S+)/.exec(text)?.[1] as string;
    await waitFor(
      async () =>
        (await readRecords(queue, queue.keys.processed)).some(
          (r) => r.id === id,
        ),
      20_000,
      "the enqueued task processed",
    );
    await press("5");
    await waitForScreen(
      (s) => s.includes(id.slice(0, 8)) && /5 procesadas 2/.test(s),
      "the new task in procesadas",
    );

    await press("q");
    await waitForScreen((s) => s.includes("EXITED 0"), "a clean exit");
  });
});
