/**
 * `batchctl enqueue`: validated enqueue of one task (typed flags or
 * `--json`) or many (`--file`, NDJSON), now or scheduled (`--at`, `--in`);
 * prints the ids, or with `--wait` the task's record once it has one.
 */
import { readFile } from "node:fs/promises";
import type { Argv, CommandModule } from "yargs";
import { requireDuration } from "../common/duration.js";
import { BatchError, UsageError } from "../common/errors.js";
import { parseTaskLines } from "../common/task-lines.js";
import {
  parseTask,
  stampTask,
  TIPOS,
  TaskValidationError,
  validateTask,
  type Task,
} from "../common/task.js";
import {
  createKeys,
  enqueueTasks,
  taskKeyIssue,
  waitForRecord,
  watchForRecord,
  type QueueContext,
} from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { print, warn } from "./format.js";

interface EnqueueArgs extends GlobalArgs {
  tipo?: string;
  ticketId?: string;
  fecha?: string;
  claves?: string[];
  json?: string;
  file?: string;
  at?: string;
  in?: string;
  wait: boolean;
  timeout?: string;
}

/** An ISO time with a zone: `--at` is never read as local time. */
const ISO_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Furthest `--at` accepted (10 years of 365.25 days): beyond it, a typo. */
const MAX_AT_AHEAD_MS = 3_652.5 * 86_400_000;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The tasks the flags describe, validated, and passed through `check` (a
 * reason refuses the task). Throws UsageError.
 */
async function collectTasks(
  argv: EnqueueArgs,
  check: (task: Task) => string | undefined,
): Promise<Task[]> {
  if (argv.file !== undefined) {
    const isStdin = argv.file === "-";
    const source = isStdin ? "stdin" : argv.file;
    const reading = isStdin ? readStdin() : readFile(argv.file, "utf8");
    const text = await reading.catch((error: Error) => {
      throw new UsageError(`--file: cannot read ${source}: ${error.message}`);
    });
    return parseTaskLines(text, source, check);
  }
  try {
    let task: Task;
    if (argv.json !== undefined) task = parseTask(argv.json);
    else if (argv.tipo === undefined) {
      throw new UsageError(
        "say what to queue: a tipo with its fields, --json '{...}' or --file tasks.ndjson",
      );
    } else task = validateTask(taskFromFlags(argv));
    const issue = check(task);
    if (issue !== undefined) throw new TaskValidationError([issue]);
    return [task];
  } catch (error) {
    if (!(error instanceof TaskValidationError)) throw error;
    throw new UsageError(`invalid task: ${error.issues.join("; ")}`);
  }
}

function taskFromFlags(argv: EnqueueArgs): Record<string, unknown> {
  const task: Record<string, unknown> = { tipo: argv.tipo };
  if (argv.ticketId !== undefined) task.ticket_id = argv.ticketId;
  if (argv.fecha !== undefined) task.fecha = argv.fecha;
  if (argv.claves !== undefined) task.claves = argv.claves.map(String);
  return task;
}

/** Epoch ms from `--at` or `--in`, or undefined to queue now. */
function dueTime(argv: EnqueueArgs): number | undefined {
  if (argv.in !== undefined)
    return Date.now() + requireDuration(argv.in, "--in");
  if (argv.at === undefined) return undefined;
  const at = Date.parse(argv.at);
  const shown = JSON.stringify(argv.at);
  if (!ISO_WITH_ZONE.test(argv.at) || Number.isNaN(at)) {
    throw new UsageError(
      `--at: ${shown} is not an ISO time with a zone: 2026-12-04T08:00:00Z`,
    );
  }
  // Date.parse rolls 2026-02-30 over to March 2.
  const [year, month, day] = argv.at.slice(0, 10).split("-").map(Number);
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day) {
    throw new UsageError(`--at: ${shown} is not a real calendar date`);
  }
  if (at > Date.now() + MAX_AT_AHEAD_MS) {
    throw new UsageError(`--at: ${shown} is more than 10 years ahead`);
  }
  if (at < Date.now()) warn(`--at ${argv.at} has passed: the task is due now`);
  return at;
}

/** `--timeout`: seconds, or a duration such as 2m. */
function timeoutMs(argv: EnqueueArgs): number | undefined {
  if (argv.timeout === undefined) return undefined;
  return requireDuration(argv.timeout, "--timeout");
}

/** Queues one task, waits for its record, prints it; exit 1 on failure. */
async function enqueueAndWait(
  queue: QueueContext,
  task: Task,
  dueAt: number | undefined,
  timeout: number | undefined,
): Promise<void> {
  const stamped = stampTask(task);
  const watch = await watchForRecord(queue, stamped);
  await enqueueTasks(queue, [stamped], { dueAt });

  const outcome = await waitForRecord(watch, stamped, { timeoutMs: timeout });
  const indent = process.stdout.isTTY ? 2 : undefined;
  print(JSON.stringify(outcome.record, null, indent));
  if (outcome.list === "fallidas") {
    const reason = outcome.record.error?.mensaje ?? "no error message";
    throw new BatchError(`task ${stamped.id} failed: ${reason}`);
  }
}

export const enqueueCommand: CommandModule<GlobalArgs, EnqueueArgs> = {
  command: "enqueue [tipo]",
  describe: "validate tasks and add them to the queue; prints their ids",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("tipo", {
        type: "string",
        describe: `one of ${TIPOS.join(", ")}`,
      })
      .option("ticket-id", {
        type: "string",
        describe: "notificar_ticket_creado: the ticket's UUID",
      })
      .option("fecha", {
        type: "string",
        describe: "generar_reporte: the day, YYYY-MM-DD",
      })
      .option("claves", {
        type: "array",
        string: true,
        describe: "limpiar_cache: exact key names to delete",
      })
      .option("json", {
        type: "string",
        describe: "one task as a JSON object, instead of tipo and fields",
      })
      .option("file", {
        type: "string",
        // Without nargs, yargs reads a lone "-" as a positional argument.
        nargs: 1,
        describe:
          "many tasks, one JSON object per line (- reads stdin); all or none are queued",
      })
      .option("at", {
        type: "string",
        describe: "schedule for this ISO time with a zone (programadas)",
      })
      .option("in", {
        type: "string",
        describe: "schedule after this long: 30s, 10m, 2h, 1d",
      })
      .option("wait", {
        type: "boolean",
        default: false,
        describe:
          "wait for the task's record and print it as JSON; exit 0 done, 1 failed",
      })
      .option("timeout", {
        type: "string",
        describe:
          "with --wait: give up after this long (seconds or 2m), exit 124",
        implies: "wait",
      })
      .conflicts("json", ["file", "ticket-id", "fecha", "claves"])
      .conflicts("file", ["ticket-id", "fecha", "claves"])
      .conflicts("at", "in")
      .example(
        "$0 enqueue generar_reporte --fecha 2024-01-15",
        "queue a report",
      )
      .example("$0 enqueue limpiar_cache --claves ticket:1 ticket:2", "")
      .example(
        `$0 enqueue --json '{"tipo":"procesar_tickets_vencidos"}' --in 10m`,
        "schedule a task given as JSON",
      )
      .example(
        "$0 enqueue --file tasks.ndjson",
        "queue every line, or none if one is invalid",
      )
      .example(
        "$0 enqueue generar_reporte --fecha 2024-01-15 --wait --timeout 60",
        "wait for the report (exit 124 after 60 s)",
      ) as unknown as Argv<EnqueueArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    if (argv.tipo !== undefined && (argv.json ?? argv.file) !== undefined) {
      throw new UsageError("give either a tipo or --json/--file, not both");
    }
    if (!argv.wait && argv.timeout !== undefined) {
      throw new UsageError("--timeout: only with --wait");
    }
    const timeout = timeoutMs(argv);
    const keys = createKeys(config.prefix);
    const tasks = await collectTasks(argv, (task) => taskKeyIssue(keys, task));
    const dueAt = dueTime(argv);
    if (argv.wait && tasks.length !== 1) {
      throw new UsageError(`--wait: waits for one task, not ${tasks.length}`);
    }

    await withQueue(config, async (queue) => {
      if (argv.wait) return enqueueAndWait(queue, tasks[0]!, dueAt, timeout);
      const queued = await enqueueTasks(queue, tasks, { dueAt });
      process.stdout.write(queued.map((task) => `${task.id}\n`).join(""));
    });
  },
};
