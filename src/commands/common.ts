/**
 * What every command shares: the global connection options, reading the
 * configuration, and opening the queue for a one-shot command.
 */
import type { Argv } from "yargs";
import {
  loadConfig,
  loadDotEnv,
  type Config,
  type ConfigFlags,
} from "../common/config.js";
import { UsageError } from "../common/errors.js";
import { TASK_ID_PATTERN } from "../common/task.js";
import {
  connectQueue,
  expandIdPrefixes,
  MAX_PREFIXES_EXPANDED,
  type ListName,
  type QueueContext,
} from "../queue/index.js";

/** The global options, as yargs parses them. */
export interface GlobalArgs extends ConfigFlags {
  debug?: boolean;
}

/** Declares the connection options every command accepts. */
export function withGlobalOptions<T>(yargs: Argv<T>): Argv<T & GlobalArgs> {
  return yargs
    .option("redis-url", {
      type: "string",
      describe: "Redis URL (env REDIS_URL)",
      group: "Connection:",
    })
    .option("redis-rest-url", {
      type: "string",
      describe: "Upstash-style REST URL; token from REDIS_REST_TOKEN",
      group: "Connection:",
    })
    .option("redis-cluster-nodes", {
      type: "string",
      describe: "Redis Cluster nodes host:port,... (env REDIS_CLUSTER_NODES)",
      group: "Connection:",
    })
    .option("database-url", {
      type: "string",
      describe: "PostgreSQL URL of the batch role (env DATABASE_URL_BATCH)",
      group: "Connection:",
    })
    .option("prefix", {
      type: "string",
      describe: "queue key prefix (env BATCH_QUEUE_PREFIX)",
      group: "Connection:",
    })
    .option("log-level", {
      type: "string",
      describe: "fatal|error|warn|info|debug|silent (env LOG_LEVEL)",
      group: "Connection:",
    })
    .option("debug", {
      type: "boolean",
      describe: "print stack traces of errors",
      group: "Connection:",
    }) as Argv<T & GlobalArgs>;
}

/** Reads `.env`, the environment and the flags into a Config. */
export function readConfig(argv: GlobalArgs): Config {
  loadDotEnv();
  return loadConfig(process.env, {
    redisUrl: argv.redisUrl,
    redisRestUrl: argv.redisRestUrl,
    redisClusterNodes: argv.redisClusterNodes,
    databaseUrl: argv.databaseUrl,
    prefix: argv.prefix,
    logLevel: argv.logLevel,
  });
}

/**
 * Opens the queue for a one-shot command (fails fast when Redis is down),
 * runs `action`, and always closes the connection.
 */
export async function withQueue<T>(
  config: Config,
  action: (queue: QueueContext) => Promise<T>,
): Promise<T> {
  const queue = connectQueue(config, { persistent: false });
  try {
    return await action(queue);
  } finally {
    await queue.transport.close();
  }
}

/**
 * `expandIdPrefixes` for a command: short ids as `ls` prints them become
 * the whole ids found in `lists`; one that starts several ids, or that is
 * no id at all, is bad usage.
 */
export async function expandIds(
  queue: QueueContext,
  ids: string[],
  lists: readonly ListName[],
): Promise<string[]> {
  const bad = ids.find((id) => !TASK_ID_PATTERN.test(id));
  if (bad !== undefined) {
    throw new UsageError(`id: "${bad.slice(0, 40)}" is not a task id`);
  }
  const expanded = await expandIdPrefixes(queue, ids, lists);
  if (expanded.tooMany) {
    throw new UsageError(
      `ids: more than ${MAX_PREFIXES_EXPANDED} short ids; give whole ids (ls --json prints them)`,
    );
  }
  const [first] = expanded.ambiguous;
  if (first) {
    const [id, matches] = first;
    const more = matches.length > 3 ? ", ..." : "";
    const some = `${matches.slice(0, 3).join(", ")}${more}`;
    throw new UsageError(
      `id ${id} starts ${matches.length} ids (${some}); give more characters`,
    );
  }
  return expanded.ids;
}
