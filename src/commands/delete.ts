/**
 * `batchctl delete <id>...`: removes tasks or records by id.
 */
import type { Argv, CommandModule } from "yargs";
import { BatchError } from "../common/errors.js";
import { ADMIN_LISTS, deleteRecords } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { counted } from "./format.js";

interface DeleteArgs extends GlobalArgs {
  ids: string[];
  from?: string;
  json: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: "delete <ids..>",
  describe: "remove tasks or records by id (never tasks in flight)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("ids", {
        type: "string",
        array: true,
        describe: "task ids",
      })
      .option("from", {
        type: "string",
        choices: [...ADMIN_LISTS],
        describe: "only this list (default: all of them)",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print the result as JSON",
      })
      .example(
        "$0 delete 3f2c0d9e-... --from fallidas",
        "drop one failure record",
      )
      .example(
        "$0 delete id1 id2",
        "look in every list",
      ) as unknown as Argv<DeleteArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    const ids = argv.ids.map(String);

    const result = await withQueue(config, (queue) =>
      deleteRecords(queue, ids, { from: argv.from }),
    );

    if (argv.json) {
      const { deleted, byList, notFound } = result;
      const line = { deleted, lists: byList, not_found: notFound };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } else {
      const where = Object.entries(result.byList)
        .map(([list, count]) => `${list}: ${count}`)
        .join(", ");
      const detail = where ? ` (${where})` : "";
      process.stdout.write(
        `deleted ${counted(result.deleted, "entry", "entries")}${detail}\n`,
      );
    }
    if (result.notFound.length > 0) {
      const where = argv.from ?? "any list";
      throw new BatchError(
        `not found in ${where}: ${result.notFound.join(" ")}`,
      );
    }
  },
};
