/**
 * `batchctl purge-cache <clave...>`: deletes cache keys through a worker
 * (a `limpiar_cache` task) or, with `--now`, directly.
 */
import type { Argv, CommandModule } from "yargs";
import { purgeCacheNow, queueCachePurge } from "../queue/index.js";
import { readConfig, withQueue, type GlobalArgs } from "./common.js";
import { counted, print } from "./format.js";

interface PurgeCacheArgs extends GlobalArgs {
  claves: string[];
  now: boolean;
  json: boolean;
}

export const purgeCacheCommand: CommandModule<GlobalArgs, PurgeCacheArgs> = {
  command: "purge-cache <claves..>",
  describe: "delete exact cache keys: queue a limpiar_cache task, or --now",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional("claves", {
        type: "string",
        array: true,
        describe: "exact key names (never patterns), 1 to 1000",
      })
      .option("now", {
        type: "boolean",
        default: false,
        describe: "delete them now and print how many existed",
      })
      .option("json", {
        type: "boolean",
        default: false,
        describe: "print the result as JSON",
      })
      .example(
        "$0 purge-cache ticket:1 ticket:2",
        "queue a task; prints its id",
      )
      .example(
        "$0 purge-cache ticket:1 --now",
        "delete now",
      ) as unknown as Argv<PurgeCacheArgs>,
  handler: async (argv) => {
    const config = readConfig(argv);
    const claves = argv.claves.map(String);

    const line = await withQueue(config, async (queue) => {
      if (!argv.now) {
        const task = await queueCachePurge(queue, claves);
        return argv.json ? JSON.stringify({ id: task.id }) : task.id;
      }
      const result = await purgeCacheNow(queue, claves);
      if (argv.json) return JSON.stringify(result);
      const missing = result.claves - result.borradas;
      const note = missing > 0 ? `; ${missing} did not exist` : "";
      return `deleted ${result.borradas} of ${counted(result.claves, "key")}${note}`;
    });

    print(line);
  },
};
