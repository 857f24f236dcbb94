/**
 * `batchctl retry`: moves failed tasks back to the queue.
 */
import type { Argv, CommandModule } from "yargs";
import { BatchError } from "../common/errors.js";
import {
  failureGroupIds,
  RETRY_SKIP_REASONS,
  retryFailed,
  type RetryResult,
  type RetrySkip,
} from "../queue/index.js";
import { expandIds, readConfig, withQueue, type GlobalArgs } from "./common.js";

const FAILED = ["fallidas"] as const;
import { counted, print } from "./format.js";

interface RetryArgs extends GlobalArgs {
  id?: string[];
  tipo?: string;
  group?: number;
  all: boolean;
  limit?: number;
  dryRun: boolean;
  force: boolean;
  json: boolean;
}

function printResult(result: RetryResult, isJson: boolean): void {
  if (isJson) {
    const { moved, dryRun, skipped, notFound } = result;
    const line = { moved, dry_run: dryRun, skipped, not_found: notFound };
    print(JSON.stringify(line));
    return;
  }
  const verb = result.dryRun ? "would move" : "moved";
  const moved = counted(result.moved, "failed task");
  const lines = [`${verb} ${moved} back to procesar`];
  for (const [reason, count] of Object.entries(result.skipped)) {
    lines.push(`skipped ${count}: ${RETRY_SKIP_REASONS[reason as RetrySkip]}`);
  }
  if (result.dryRun) lines.push("dry run: nothing was changed");
  print(lines.join("\n"));
}

export const retryCommand: CommandModule<GlobalArgs, RetryArgs> = {
  command: "retry",
  describe: "move failed tasks back to the queue (same id, attempts reset)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option("id", {
        type: "array",
        string: true,
        describe: "the failed tasks with these ids",
      })
      .option("tipo", {
        type: "string",
        describe: "the failed tasks of a tipo",
      })
      .option("group", {
        type: "number",
        describe: "the failed tasks of group n of ls fallidas --group",
      })
      .option("all", {
        type: "boolean",
        default: false,
        describe: "every failed task",
      })
      .conflicts("group", "id")
      .option("limit", {
        type: "number",
        describe: "move at most this many, oldest failures first",
      })
      .option("dry-run", {
        type: "boolean",
        default: false,
        describe: "say how many would move; change nothing",
      })
      .option("force", {
        type: "boolean",
        default: false,
        describe: "also push back tasks that were not valid JSON, as they were",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print the result as JSON",
      })
      .example("$0 retry --id 3f2c0d9e-...", "retry one task")
      .example(
        "$0 retry --tipo generar_reporte --limit 100",
        "the 100 oldest failed reports",
      )
      .example(
        "$0 retry --all --dry-run",
        "how many would move",
      ) as unknown as Argv<RetryArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);

    const result = await withQueue(config, async (queue) =>
      retryFailed(queue, {
        ids:
          argv.group === undefined
            ? argv.id && (await expandIds(queue, argv.id.map(String), FAILED))
            : await failureGroupIds(queue, argv.group),
        tipo: argv.tipo,
        all: argv.all,
        limit: argv.limit,
        dryRun: argv.dryRun,
        force: argv.force,
        selection:
          argv.group === undefined ? undefined : `--group ${argv.group}`,
      }),
    );

    printResult(result, argv.json);
    if (result.notFound.length > 0) {
      throw new BatchError(`not in fallidas: ${result.notFound.join(" ")}`);
    }
    // Named ids are a request for each: one left behind fails the command.
    const skipped = Object.values(result.skipped).reduce((a, n) => a + n, 0);
    if (argv.id && skipped > 0 && !argv.dryRun) {
      throw new BatchError(
        `${counted(skipped, "task")} named by --id not moved`,
      );
    }
  },
};
