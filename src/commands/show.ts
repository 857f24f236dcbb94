/**
 * `batchctl show <id>`: where a task is and its whole record.
 */
import type { Argv, CommandModule } from "yargs";
import { NotFoundError, UsageError } from "../common/errors.js";
import { TASK_ID_PATTERN } from "../common/task.js";
import { findTask, MIN_ID_PREFIX, type ListEntry } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { print, relative } from "./format.js";

interface ShowArgs extends GlobalArgs {
  id: string;
  json: boolean;
}

/** Fields holding ISO times, shown with their age. */
const TIME_FIELDS = new Set(["encolada_en", "iniciada_en", "terminada_en"]);

export const showCommand: CommandModule<GlobalArgs, ShowArgs> = {
  command: "show <id>",
  describe:
    "find a task by id (or an id prefix) in every list; print its record",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("id", {
        type: "string",
        describe: "the task id, or its first characters as ls prints them",
        demandOption: true,
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print {id, places: [{list, position, entry}]} as JSON",
      })
      .example("$0 show 3f2a9c1b", "where the task is, and its record")
      .example(
        '$0 show "$id" --json | jq .places[0].entry.resultado',
        "a finished task's result",
      ) as unknown as Argv<ShowArgs>,
  handler: async (argv) => {
    const id = String(argv.id);
    if (!TASK_ID_PATTERN.test(id)) {
      throw new UsageError(`id: "${id.slice(0, 40)}" is not a task id`);
    }
    const config = readConfig(argv);

    const found = await withQueue(config, (queue) =>
      findTask(queue, id, { allowPrefix: id.length >= MIN_ID_PREFIX }),
    );

    if (found.ids.length === 0) {
      throw new NotFoundError(`task ${id} is in no list of ${config.prefix}`);
    }
    if (found.ids.length > 1) {
      const some = found.ids.slice(0, 3).join(", ");
      throw new UsageError(
        `id ${id} matches ${found.ids.length} tasks (${some}...); give more characters`,
      );
    }
    if (argv.json) {
      const places = found.places.map(placeJson);
      print(JSON.stringify({ id: found.ids[0], places }));
      return;
    }
    print(found.places.map(describePlace).join("\n"));
  },
};

function placeJson(entry: ListEntry): Record<string, unknown> {
  return {
    list: entry.list,
    position: entry.position,
    ...(entry.worker !== undefined && { worker: entry.worker }),
    ...(entry.due !== undefined && {
      due_at: new Date(entry.due).toISOString(),
    }),
    entry: entry.value ?? entry.raw,
  };
}

function where(entry: ListEntry): string {
  const parts = [`position ${entry.position}`];
  if (entry.worker) parts.push(`worker ${entry.worker}`);
  if (entry.due !== undefined) {
    const at = new Date(entry.due).toISOString();
    parts.push(`due ${relative(entry.due)}, at ${at}`);
  }
  return `${entry.list} (${parts.join(", ")})`;
}

/** A header line, then one line per field; objects as indented JSON. */
function describePlace(entry: ListEntry): string {
  const lines = [`${entry.id ?? "?"} in ${where(entry)}`];
  if (!entry.value) {
    lines.push(`  (not JSON) ${entry.raw}`);
    return lines.join("\n") + "\n";
  }

  const fields = Object.entries(entry.value).filter(([key]) => key !== "id");
  const width = Math.max(...fields.map(([key]) => key.length));
  for (const [key, value] of fields) {
    const label = `  ${key.padEnd(width)}  `;
    if (value !== null && typeof value === "object") {
      const json = JSON.stringify(value, null, 2).replace(
        /\n/g,
        `\n${" ".repeat(label.length)}`,
      );
      lines.push(`${label}${json}`);
    } else if (TIME_FIELDS.has(key) && typeof value === "string") {
      lines.push(`${label}${value} (${relative(value)})`);
    } else {
      lines.push(`${label}${String(value)}`);
    }
  }
  return lines.join("\n") + "\n";
}
