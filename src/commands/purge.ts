/**
 * `batchctl purge <lista>`: empties one list or zset.
 */
import type { Argv, CommandModule } from "yargs";
import { ADMIN_LISTS, purgeList } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { counted, print } from "./format.js";

interface PurgeArgs extends GlobalArgs {
  lista: string;
  yes: boolean;
  json: boolean;
}

export const purgeCommand: CommandModule<GlobalArgs, PurgeArgs> = {
  command: "purge <lista>",
  describe: "empty one list (never the in-flight ones)",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("lista", {
        type: "string",
        describe: `one of ${ADMIN_LISTS.join(", ")}`,
        demandOption: true,
      })
      .option("yes", {
        type: "boolean",
        default: false,
        describe: "confirm: needed to remove more than one entry",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print the result as JSON",
      })
      .example("$0 purge fallidas", "say how many it would remove")
      .example(
        "$0 purge fallidas --yes",
        "remove them",
      ) as unknown as Argv<PurgeArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);

    const removed = await withQueue(config, (queue) =>
      purgeList(queue, argv.lista, { yes: argv.yes }),
    );

    const line = argv.json
      ? JSON.stringify({ list: argv.lista, removed })
      : removed === 0
        ? `${argv.lista} was already empty`
        : `removed ${counted(removed, "entry", "entries")} from ${argv.lista}`;
    print(line);
  },
};
