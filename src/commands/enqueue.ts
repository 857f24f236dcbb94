/**
 * `batchctl enqueue <tipo>`: validated enqueue; prints the new task's id.
 */
import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../common/errors.js";
import { TIPOS, TaskValidationError } from "../common/task.js";
import { enqueueTasks } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";

interface EnqueueArgs extends GlobalArgs {
  tipo: string;
  ticketId?: string;
  fecha?: string;
  claves?: string[];
}

function buildTask(argv: EnqueueArgs): Record<string, unknown> {
  const task: Record<string, unknown> = { tipo: argv.tipo };
  if (argv.ticketId !== undefined) task.ticket_id = argv.ticketId;
  if (argv.fecha !== undefined) task.fecha = argv.fecha;
  if (argv.claves !== undefined) task.claves = argv.claves.map(String);
  return task;
}

export const enqueueCommand: CommandModule<GlobalArgs, EnqueueArgs> = {
  command: "enqueue <tipo>",
  describe: "validate a task and add it to the queue; prints its id",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("tipo", {
        type: "string",
        describe: `one of ${TIPOS.join(", ")}`,
        demandOption: true,
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
      .example(
        "$0 enqueue generar_reporte --fecha 2024-01-15",
        "queue a report",
      )
      .example(
        "$0 enqueue limpiar_cache --claves ticket:1 ticket:2",
        "",
      ) as unknown as Argv<EnqueueArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    const task = buildTask(argv);

    const [queued] = await withQueue(config, (queue) =>
      enqueueTasks(queue, [task]).catch((error: unknown) => {
        if (error instanceof TaskValidationError) {
          throw new UsageError(`invalid task: ${error.issues.join("; ")}`);
        }
        throw error;
      }),
    );

    process.stdout.write(`${queued?.id}\n`);
  },
};
