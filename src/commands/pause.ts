/**
 * `batchctl pause` and `batchctl resume`: workers stop and start fetching.
 */
import type { Argv, CommandModule } from "yargs";
import { requireDuration } from "../common/duration.js";
import { pause, resume, type PauseState } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { print } from "./format.js";

interface PauseArgs extends GlobalArgs {
  for?: string;
  json: boolean;
}

interface ResumeArgs extends GlobalArgs {
  json: boolean;
}

const jsonOption = {
  type: "boolean",
  default: false,
  describe: "print the result as JSON",
} as const;

/** The state with the field names of every other `--json` output. */
function pauseJson(state: PauseState): Record<string, unknown> {
  return {
    paused: state.isPaused,
    since: state.since,
    by: state.by,
    until: state.until ?? null,
    remaining_ms: state.remainingMs ?? null,
  };
}

function describePause(prefix: string, state: PauseState): string {
  const until = state.until
    ? `until ${state.until} or batchctl resume`
    : "until batchctl resume";
  return `paused ${prefix}: workers fetch no new tasks ${until}; tasks in flight finish`;
}

export const pauseCommand: CommandModule<GlobalArgs, PauseArgs> = {
  command: "pause",
  describe: "workers stop fetching new tasks (in-flight ones finish)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("for", {
        type: "string",
        describe: "end the pause by itself after 30s, 10m, 2h, 1d",
      })
      .option("json", jsonOption)
      .example("$0 pause", "until batchctl resume")
      .example(
        "$0 pause --for 10m",
        "for ten minutes",
      ) as unknown as Argv<PauseArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    const forMs =
      argv.for === undefined ? undefined : requireDuration(argv.for, "--for");

    const state = await withQueue(config, (queue) => pause(queue, { forMs }));

    const line = argv.json
      ? JSON.stringify(pauseJson(state))
      : describePause(config.prefix, state);
    print(line);
  },
};

export const resumeCommand: CommandModule<GlobalArgs, ResumeArgs> = {
  command: "resume",
  describe: "end a pause: workers fetch again",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("json", jsonOption)
      .example("$0 resume", "") as unknown as Argv<ResumeArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);

    const wasPaused = await withQueue(config, (queue) => resume(queue));

    const line = argv.json
      ? JSON.stringify({ was_paused: wasPaused })
      : wasPaused
        ? `resumed ${config.prefix}: workers fetch again`
        : `${config.prefix} was not paused`;
    print(line);
  },
};
