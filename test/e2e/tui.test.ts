/**
 * `batchctl tui` as an on-call person runs it: the built binary in a real
 * terminal (tmux) against the real Redis with a running `batchctl work`;
 * keys are pressed with send-keys and the screen read with capture-pane.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { openE2e, type E2eContext } from "../helpers/e2e.js";
import { readRecords, waitFor } from "../helpers/redis.js";
import { hasTmux, openTuiTerminal, type TuiTerminal } from "../helpers/tmux.js";
import { failureRecord, pushFailures } from "../helpers/ui.js";

describe("batchctl tui in a terminal", () => {
  let ctx: E2eContext;
  let terminal: TuiTerminal | undefined;

  beforeAll(async () => {
    if (!hasTmux()) {
      throw new Error(
        "tmux is missing: install it (bash .ci/run does) to run this test",
      );
    }
    ctx = await openE2e("tui");
  });

  afterAll(async () => {
    await terminal?.close();
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

    terminal = await openTuiTerminal({
      name: "e2e",
      env: ctx.env(),
      args: ["--refresh", "300"],
      width: 100,
      height: 30,
    });
    const { press, waitForScreen } = terminal;

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
    await terminal.type("2024-01-15");
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
