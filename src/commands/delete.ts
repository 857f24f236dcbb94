/**
 * `batchctl delete <id>...`: removes tasks or records by id.
 */
import type { Argv, CommandModule } from "yargs";
import { BatchError, UsageError } from "../common/errors.js";
import {
  ADMIN_LISTS,
  deleteRecords,
  failureGroupIds,
  type AdminList,
} from "../queue/index.js";
import { expandIds, readConfig, withQueue, type GlobalArgs } from "./common.js";
import { counted, print } from "./format.js";

interface DeleteArgs extends GlobalArgs {
  ids?: string[];
  group?: number;
  from?: AdminList;
  json: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: "delete [ids..]",
  describe: "remove tasks or records by id (never tasks in flight)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("ids", {
        type: "string",
        array: true,
        describe: "task ids",
      })
      .option("group", {
        type: "number",
        describe: "the records of group n of ls fallidas --group",
      })
      .conflicts("group", "from")
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
    const hasIds = (argv.ids?.length ?? 0) > 0;
    if (hasIds === (argv.group !== undefined)) {
      throw new UsageError("say what to delete: ids or --group N (not both)");
    }
    const from = argv.group === undefined ? argv.from : "fallidas";

    const result = await withQueue(config, async (queue) => {
      const ids =
        argv.group === undefined
          ? await expandIds(
              queue,
              (argv.ids ?? []).map(String),
              from ? [from] : ADMIN_LISTS,
            )
          : await failureGroupIds(queue, argv.group);
      const selection =
        argv.group === undefined ? undefined : `--group ${argv.group}`;
      return deleteRecords(queue, ids, { from, selection });
    });

    if (argv.json) {
      const { deleted, byList, notFound } = result;
      const line = { deleted, lists: byList, not_found: notFound };
      print(JSON.stringify(line));
    } else {
      const where = Object.entries(result.byList)
        .map(([list, count]) => `${list}: ${count}`)
        .join(", ");
      const detail = where ? ` (${where})` : "";
      print(`deleted ${counted(result.deleted, "entry", "entries")}${detail}`);
    }
    if (result.notFound.length > 0) {
      const where = from ?? "any list";
      throw new BatchError(
        `not found in ${where}: ${result.notFound.join(" ")}`,
      );
    }
  },
};
