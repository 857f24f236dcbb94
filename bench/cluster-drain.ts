/**
 * A drain on a Redis Cluster of three masters beside the same drain on the
 * single local Redis: the built `batchctl work --drain --concurrency 32`
 * on `limpiar_cache` tasks (each one UNLINK of a key that may live on any
 * master), tasks/s from the first start to the last finish.
 *
 *   npm run build
 *   DATABASE_URL_BATCH=postgresql://usuario_batch@127.0.0.1:5432/tickets \
 *     node --import tsx bench/cluster-drain.ts [tasks=10000] [runs=3]
 *
 * The cluster is started in a temporary directory (test/helpers) and
 * removed at the end; on the single Redis the keys live under a fresh
 * `{bench:<hex>}` prefix, deleted at the end.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseClusterNodes } from "../src/common/cluster.js";
import {
  createKeys,
  statsDay,
  type RedisTransport,
} from "../src/queue/index.js";
import { createClusterTransport } from "../src/queue/transports/cluster.js";
import { createTcpTransport } from "../src/queue/transports/tcp.js";
import { startPrivateCluster } from "../test/helpers/redis-cluster.js";

const CLI = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL_BATCH;
const TASKS = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 32;

if (!DATABASE_URL) {
  process.stderr.write("DATABASE_URL_BATCH: required (a real PostgreSQL)\n");
  process.exit(2);
}

const prefix = `{bench:${randomBytes(3).toString("hex")}}`;
const keys = createKeys(prefix);
const cluster = await startPrivateCluster();
const targets = {
  cluster: {
    env: { REDIS_CLUSTER_NODES: cluster.nodes },
    redis: createClusterTransport({
      cluster: parseClusterNodes(cluster.nodes, "bench"),
      persistent: false,
    }),
  },
  single: {
    env: { REDIS_URL },
    redis: createTcpTransport({ url: REDIS_URL, persistent: false }),
  },
};
type Target = keyof typeof targets;

async function reset(redis: RedisTransport): Promise<void> {
  const today = keys.stats(statsDay(new Date()));
  await redis.command("DEL", keys.pending, keys.processed, keys.workers, today);
}

/** tasks/s of one drain from the first start to the last finish. */
async function drain(target: Target): Promise<number> {
  const { redis, env } = targets[target];
  await reset(redis);
  const tasks = Array.from({ length: TASKS }, (_, i) =>
    JSON.stringify({ tipo: "limpiar_cache", claves: [`bench-cache:${i}`] }),
  );
  for (let i = 0; i < tasks.length; i += 1000) {
    await redis.command("RPUSH", keys.pending, ...tasks.slice(i, i + 1000));
  }

  const args = ["work", "--drain", "--no-task-log"];
  args.push("--concurrency", String(CONCURRENCY));
  args.push("--keep-processed", String(TASKS));
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH,
      ...env,
      BATCH_QUEUE_PREFIX: prefix,
      DATABASE_URL_BATCH: DATABASE_URL,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const code = await new Promise((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${target}: worker exited ${code}`);

  const raw = await redis.command<string[]>("LRANGE", keys.processed, 0, -1);
  const done = raw.map((entry) => JSON.parse(entry) as Record<string, string>);
  if (done.length !== TASKS) throw new Error(`${target}: ${done.length} done`);
  const first = Math.min(...done.map((r) => Date.parse(r.iniciada_en!)));
  const last = Math.max(...done.map((r) => Date.parse(r.terminada_en!)));
  return Math.round(TASKS / ((last - first) / 1000));
}

try {
  const rates: Record<Target, number[]> = { cluster: [], single: [] };
  // Alternate, so that a busy moment of the machine hits both alike.
  for (let run = 0; run < RUNS; run++) {
    for (const target of ["cluster", "single"] as const) {
      rates[target].push(await drain(target));
    }
  }
  process.stdout.write(`${JSON.stringify({ tasks: TASKS, ...rates })}\n`);
} finally {
  for (const { redis } of Object.values(targets)) {
    await reset(redis).catch(() => undefined);
    await redis.close();
  }
  await cluster.destroy();
}
