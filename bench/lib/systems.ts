/**
 * The three consumers of the Redis-bound scenarios, behind one shape: how
 * to fill their queue with `limpiar_cache` tasks, start a worker, and read
 * how many tasks are still pending and how many are done.
 *
 * - batchctl: the built binary, `batchctl work`;
 * - bullmq: bench/workers/bullmq.ts (BullMQ's Worker, same UNLINK);
 * - floor: bench/workers/floor.ts (the least Redis work, same atomicity).
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  benchWorker,
  CLI,
  startMeasured,
  type MeasuredChild,
} from "./child.js";

export type SystemName = "batchctl" | "bullmq" | "floor";

/** Prefix of the cache keys the tasks delete (never under a queue prefix). */
export const CACHE_PREFIX = "cache:";
const BATCHCTL_PREFIX = "cola:batch";
const FLOOR_PREFIX = "floor";
const BULLMQ_PREFIX = "bull";
const BULLMQ_QUEUE = "limpiar";
/** BullMQ's retry settings, the same as batchctl's defaults. */
export const BULLMQ_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000, jitter: 1 },
};
/** Tasks per RPUSH / addBulk when filling a queue. */
const FILL_CHUNK = 1000;

/** What a scenario needs to know to start a worker. */
export interface StartOptions {
  concurrency: number;
  /** Exit once the queue is empty (batchctl --drain; the floor always does). */
  drain: boolean;
  /** Records batchctl keeps (`--keep-processed`): all of them, to count. */
  keep: number;
  /** Extra environment (REST endpoint for batchctl, BENCH_LOOP_DELAY). */
  env?: Record<string, string>;
}

/** One consumer under test. */
export interface RedisBoundSystem {
  name: SystemName;
  /** Queues `count` tasks numbered from 0, each deleting one existing key. */
  fill(count: number): Promise<void>;
  /** Queues the given tasks now (open-loop producer); fire and forget. */
  push(tasks: CacheTask[]): Promise<unknown>;
  start(options: StartOptions): MeasuredChild;
  /** Resolves once a started worker is consuming. */
  ready(child: MeasuredChild): Promise<void>;
  /** One round trip: [pending, done]. */
  counts(): Promise<[number, number]>;
  /** The commands one `counts` call sends (to take them out of stats). */
  pollCommands: string[];
  close(): Promise<void>;
}

/** A `limpiar_cache` task as producers push it. */
export interface CacheTask {
  id: string;
  tipo: "limpiar_cache";
  claves: string[];
  encolada_en: string;
}

/** The task numbered `i`. */
export function cacheTask(i: number, at = new Date()): CacheTask {
  return {
    id: `t-${i}`,
    tipo: "limpiar_cache",
    claves: [`${CACHE_PREFIX}${i}`],
    encolada_en: at.toISOString(),
  };
}

/**
 * KEYS: pending list or "" (keys only). ARGV: first, count, template with
 * two %d. Creates the cache keys and RPUSHes the tasks, 1000 per command.
 */
const FILL_LUA = `
local first, n, tpl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local batch = {}
for i = first, first + n - 1 do
  redis.call('SET', '${CACHE_PREFIX}' .. i, '1')
  if KEYS[1] ~= '' then
    batch[#batch + 1] = string.format(tpl, i, i)
    if #batch == 1000 then
      redis.call('RPUSH', KEYS[1], unpack(batch))
      batch = {}
    end
  end
end
if #batch > 0 then redis.call('RPUSH', KEYS[1], unpack(batch)) end
return n
`;
/** Tasks created per fill script call: short calls for the bench's polls. */
const FILL_SCRIPT_CHUNK = 20_000;

async function fillList(redis: Redis, list: string, count: number) {
  const template = JSON.stringify(cacheTask(0))
    .replace('"t-0"', '"t-%d"')
    .replace(`${CACHE_PREFIX}0`, `${CACHE_PREFIX}%d`);
  for (let first = 0; first < count; first += FILL_SCRIPT_CHUNK) {
    const n = Math.min(FILL_SCRIPT_CHUNK, count - first);
    await redis.eval(FILL_LUA, 1, list, first, n, template);
  }
}

/** Creates the cache keys of tasks 0..count-1 (for a producer's tasks). */
export const createCacheKeys = (redis: Redis, count: number) =>
  fillList(redis, "", count);

/** Environment of the benchmark's batchctl processes. */
export interface BatchctlEnv {
  redisUrl: string;
  databaseUrl: string;
  /** Another build of the binary (to compare two versions). */
  cli?: string;
}

/** `batchctl work` (the built binary) on the bench's Redis. */
export function createBatchctl(
  redis: Redis,
  env: BatchctlEnv,
): RedisBoundSystem {
  const pending = `${BATCHCTL_PREFIX}:procesar`;
  return {
    name: "batchctl",
    fill: (count) => fillList(redis, pending, count),
    push: (tasks) =>
      redis.rpush(pending, ...tasks.map((task) => JSON.stringify(task))),
    start(options) {
      const args = [
        "work",
        "--concurrency",
        String(options.concurrency),
        "--no-task-log",
        "--keep-processed",
        String(options.keep),
        ...(options.drain ? ["--drain"] : []),
      ];
      return startMeasured(env.cli ?? CLI, args, {
        REDIS_URL: env.redisUrl,
        DATABASE_URL_BATCH: env.databaseUrl,
        BATCH_QUEUE_PREFIX: BATCHCTL_PREFIX,
        LOG_LEVEL: "info",
        ...options.env,
      });
    },
    async ready(child) {
      await child.waitForLine((line) => line.includes('"worker started"'));
    },
    async counts() {
      const replies = await redis
        .pipeline()
        .llen(pending)
        .llen(`${BATCHCTL_PREFIX}:procesadas`)
        .llen(`${BATCHCTL_PREFIX}:fallidas`)
        .exec();
      const [p, d, f] = (replies ?? []).map(([, n]) => Number(n));
      return [p ?? 0, (d ?? 0) + (f ?? 0)];
    },
    pollCommands: ["llen", "llen", "llen"],
    close: async () => undefined,
  };
}

/** The floor loop of bench/workers/floor.ts. */
export function createFloor(redis: Redis, redisUrl: string): RedisBoundSystem {
  const pending = `${FLOOR_PREFIX}:procesar`;
  return {
    name: "floor",
    fill: (count) => fillList(redis, pending, count),
    push: (tasks) =>
      redis.rpush(pending, ...tasks.map((task) => JSON.stringify(task))),
    start: (options) =>
      startMeasured(
        benchWorker("floor"),
        [redisUrl, FLOOR_PREFIX, String(options.concurrency)],
        {},
      ),
    ready: async () => undefined,
    async counts() {
      const replies = await redis
        .pipeline()
        .llen(pending)
        .llen(`${FLOOR_PREFIX}:procesadas`)
        .exec();
      const [p, d] = (replies ?? []).map(([, n]) => Number(n));
      return [p ?? 0, d ?? 0];
    },
    pollCommands: ["llen", "llen"],
    close: async () => undefined,
  };
}

/** A BullMQ worker (bench/workers/bullmq.ts) and its queue. */
export function createBullmq(redis: Redis, redisUrl: string): RedisBoundSystem {
  const { hostname, port } = new URL(redisUrl);
  const queue = new Queue(BULLMQ_QUEUE, {
    connection: { host: hostname, port: Number(port) },
    prefix: BULLMQ_PREFIX,
    defaultJobOptions: BULLMQ_JOB_OPTIONS,
  });
  const key = (name: string) => `${BULLMQ_PREFIX}:${BULLMQ_QUEUE}:${name}`;
  const add = (tasks: CacheTask[]) =>
    queue.addBulk(tasks.map((task) => ({ name: task.tipo, data: task })));
  return {
    name: "bullmq",
    async fill(count) {
      await fillList(redis, "", count);
      for (let first = 0; first < count; first += FILL_CHUNK) {
        const n = Math.min(FILL_CHUNK, count - first);
        await add(Array.from({ length: n }, (_, i) => cacheTask(first + i)));
      }
    },
    push: add,
    start: (options) =>
      startMeasured(
        benchWorker("bullmq"),
        [redisUrl, BULLMQ_PREFIX, BULLMQ_QUEUE, String(options.concurrency)],
        { ...options.env },
      ),
    async ready(child) {
      await child.waitForLine((line) => line === "ready");
    },
    async counts() {
      const replies = await redis
        .pipeline()
        .llen(key("wait"))
        .zcard(key("completed"))
        .zcard(key("failed"))
        .exec();
      const [p, d, f] = (replies ?? []).map(([, n]) => Number(n));
      return [p ?? 0, (d ?? 0) + (f ?? 0)];
    },
    pollCommands: ["llen", "zcard", "zcard"],
    close: () => queue.close(),
  };
}
