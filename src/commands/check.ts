/**
 * `batchctl check`: thresholds for cron and monitoring; exits 1 when one
 * is exceeded and says which.
 */
import type { Argv, CommandModule } from "yargs";
import { formatDuration, parseDuration } from "../common/duration.js";
import { BatchError, UsageError } from "../common/errors.js";
import {
  checkThresholds,
  queueStats,
  type ThresholdResult,
} from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { count, print, renderTable } from "./format.js";

interface CheckArgs extends GlobalArgs {
  maxPending?: number;
  maxOldest?: string;
  maxFailed?: number;
  json: boolean;
}

function wholeNumber(value: number | undefined, flag: string) {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`${flag}: must be a whole number of at least 0`);
  }
  return value;
}

function describe(result: ThresholdResult): [string, string] {
  if (result.flag === "--max-oldest") {
    const limit = formatDuration(result.limit);
    const value =
      result.value === null
        ? "oldest queued task: none or age unknown"
        : `oldest queued task is ${formatDuration(result.value)} old`;
    return [`${result.flag} ${limit}`, value];
  }
  const what = result.flag === "--max-pending" ? "procesar" : "fallidas";
  return [
    `${result.flag} ${count(result.limit)}`,
    `${what} has ${count(result.value ?? 0)}`,
  ];
}

export const checkCommand: CommandModule<GlobalArgs, CheckArgs> = {
  command: "check",
  describe: "exit 1 when the queue is past a limit (for cron and monitoring)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("max-pending", {
        type: "number",
        describe: "most tasks allowed in procesar",
      })
      .option("max-oldest", {
        type: "string",
        describe: "oldest allowed age of the next task (30s, 10m, 2h)",
      })
      .option("max-failed", {
        type: "number",
        describe: "most records allowed in fallidas",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print {ok, checks: [...]} as JSON",
      })
      .example(
        "$0 check --max-pending 1000 --max-oldest 10m",
        "cron: alert on a backlog",
      )
      .example(
        "$0 check --max-failed 0 --json",
        "for a monitoring probe",
      ) as unknown as Argv<CheckArgs>,
  handler: async (argv) => {
    const maxOldestMs =
      argv.maxOldest === undefined ? undefined : parseDuration(argv.maxOldest);
    if (argv.maxOldest !== undefined && maxOldestMs === undefined) {
      throw new UsageError(
        `--max-oldest: "${argv.maxOldest}" is not a duration such as 10m`,
      );
    }
    const limits = {
      maxPending: wholeNumber(argv.maxPending, "--max-pending"),
      maxOldestMs,
      maxFailed: wholeNumber(argv.maxFailed, "--max-failed"),
    };
    if (Object.values(limits).every((limit) => limit === undefined)) {
      throw new UsageError(
        "give at least one of --max-pending, --max-oldest, --max-failed",
      );
    }
    const config = readConfig(argv);

    const stats = await withQueue(config, (queue) => queueStats(queue));
    const results = checkThresholds(stats, limits);

    const failed = results.filter((result) => result.exceeded);
    if (argv.json) {
      print(JSON.stringify({ ok: failed.length === 0, checks: results }));
    } else {
      const rows = results.map((result) => [
        result.exceeded ? "FAIL" : "ok",
        ...describe(result),
      ]);
      print(
        renderTable(
          [{ header: "" }, { header: "LIMIT" }, { header: "NOW" }],
          rows,
        ),
      );
    }
    if (failed.length) {
      const which = failed.map((result) => describe(result)[0]).join(", ");
      throw new BatchError(`check failed: exceeded ${which}`);
    }
  },
};
