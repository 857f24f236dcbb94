/**
 * `batchctl tui`: the on-call terminal UI.
 */
import type { Argv, CommandModule } from "yargs";
import { MAX_TIMER_MS } from "../common/duration.js";
import { UsageError } from "../common/errors.js";
import { connectQueue } from "../queue/index.js";
import { printable } from "../common/printable.js";
import { readConfig, type GlobalArgs } from "./common.js";
import { print } from "./format.js";

interface TuiArgs extends GlobalArgs {
  refresh: number;
  readOnly: boolean;
}

/** Fastest refresh allowed: below this the UI only loads Redis. */
const MIN_REFRESH_MS = 100;

/** Why the UI cannot run here, or undefined when it can. */
export function terminalProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (process.stdout.isTTY && process.stdin.isTTY) return undefined;
  const ci = env.CI && env.CI !== "false" ? " (CI is set)" : "";
  return `tui: needs an interactive terminal${ci}: stdin and stdout must be a TTY`;
}

export const tuiCommand: CommandModule<GlobalArgs, TuiArgs> = {
  command: "tui",
  describe: "live terminal UI over every list: detail, retry, enqueue, pause",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("refresh", {
        type: "number",
        default: 1000,
        describe: "milliseconds between refreshes",
      })
      .option("read-only", {
        type: "boolean",
        default: false,
        describe: "look only: every action is off",
      })
      .example("$0 tui", "watch the default queue")
      .example(
        "$0 tui --read-only --refresh 2000",
        "look without touching",
      ) as unknown as Argv<TuiArgs>,
  handler: async (argv) => {
    if (
      !Number.isFinite(argv.refresh) ||
      argv.refresh < MIN_REFRESH_MS ||
      argv.refresh > MAX_TIMER_MS
    ) {
      throw new UsageError(
        `--refresh: must be from ${MIN_REFRESH_MS} to ${MAX_TIMER_MS} (milliseconds)`,
      );
    }
    const problem = terminalProblem(process.env);
    if (problem) throw new UsageError(problem);
    const config = readConfig(argv);

    // Loaded here, not at the top: Ink and React would slow every other
    // command's start (each loads this file to declare its options).
    const { createConnectionEvents, runTui } = await import("../ui/index.js");
    const events = createConnectionEvents();
    const queue = connectQueue(config, {
      persistent: true,
      onLost: (reason) => events.emit(false, reason),
      onRestored: () => events.emit(true),
    });
    try {
      const copied = await runTui({
        queue,
        refreshMs: argv.refresh,
        isReadOnly: argv.readOnly,
        connection: events,
      });
      if (copied.length)
        print(`copied ids:\n${copied.map(printable).join("\n")}`);
    } finally {
      await queue.transport.close();
    }
  },
};
