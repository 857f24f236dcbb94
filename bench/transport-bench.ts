/**
 * TCP beside REST: throughput, pickup latency of an idle worker and the
 * requests per minute of an idle worker, with the built `batchctl work`
 * on the local Redis (REST through test/fixtures/rest-server.ts in front
 * of it) and a real PostgreSQL.
 *
 *   npm run build
 *   DATABASE_URL_BATCH=postgresql://usuario_batch@127.0.0.1:5432/tickets \
 *     node --import tsx bench/transport-bench.ts [tasks=2000] [runs=3]
 *
 * The database needs `batchctl db setup`. Keys live under a fresh
 * `bench:<hex>` prefix, deleted at the end. Takes about 5 minutes.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createKeys } from "../src/queue/index.js";
import { createTcpTransport } from "../src/queue/transports/tcp.js";
import { startRestServer } from "../test/fixtures/rest-server.js";

const CLI = fileURLToPath(new URL("../dist/src/cli.js", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL_BATCH;
const TASKS = Number(process.argv[2] ?? 2000);
const RUNS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 32;
/** BENCH_TRANSPORTS=rest runs one; BENCH_SKIP_IDLE=1 measures throughput only. */
const KINDS = (process.env.BENCH_TRANSPORTS ?? "tcp,rest").split(",") as Kind[];
const SKIP_IDLE = process.env.BENCH_SKIP_IDLE === "1";
/** The summary line comes every 60 s; a little more to be sure of one. */
const IDLE_MS = 65_000;
const LATENCY_SAMPLES = 8;
/** Gap between latency samples: long enough to reach the longest backoff. */
const SAMPLE_GAP_MS = [5500, 7500] as const;

if (!DATABASE_URL) {
  process.stderr.write("DATABASE_URL_BATCH: required (a real PostgreSQL)\n");
  process.exit(2);
}

const prefix = `bench:${randomBytes(3).toString("hex")}`;
const keys = createKeys(prefix);
const redis = createTcpTransport({ url: REDIS_URL, persistent: false });
const server = await startRestServer({
  redisUrl: REDIS_URL,
  token: randomBytes(12).toString("hex"),
});
const envs = {
  tcp: { REDIS_URL },
  rest: server.env(),
} as const;

type Kind = keyof typeof envs;

function startWorker(kind: Kind, args: string[]) {
  const child = spawn(process.execPath, [CLI, "work", ...args], {
    env: {
      PATH: process.env.PATH,
      ...envs[kind],
      BATCH_QUEUE_PREFIX: prefix,
      DATABASE_URL_BATCH: DATABASE_URL,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let rest = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", resolve),
  );
  return { child, lines, exited };
}

async function reset(): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await redis.command<[string, string[]]>(
      "SCAN",
      cursor,
      "MATCH",
      `${prefix}:*`,
      "COUNT",
      1000,
    );
    if (found.length) await redis.command("UNLINK", ...found);
    cursor = next;
  } while (cursor !== "0");
}

async function enqueueCacheTasks(count: number): Promise<void> {
  const tasks = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `bench-${i}`,
      tipo: "limpiar_cache",
      claves: [`bench-cache:${i}`],
      encolada_en: new Date().toISOString(),
    }),
  );
  for (let i = 0; i < tasks.length; i += 1000) {
    await redis.command("RPUSH", keys.pending, ...tasks.slice(i, i + 1000));
  }
}

async function records(): Promise<Record<string, string>[]> {
  const raw = await redis.command<string[]>("LRANGE", keys.processed, 0, -1);
  return raw.map((entry) => JSON.parse(entry));
}

/** tasks/s from the first start to the last finish. */
async function throughput(kind: Kind): Promise<number> {
  await reset();
  await enqueueCacheTasks(TASKS);
  const requestsBefore = server.counts.total;
  const worker = startWorker(kind, [
    "--drain",
    "--concurrency",
    String(CONCURRENCY),
    "--no-task-log",
  ]);
  if ((await worker.exited) !== 0) throw new Error(`${kind} worker failed`);
  const done = await records();
  if (done.length !== TASKS) throw new Error(`${kind}: ${done.length} done`);
  const first = Math.min(...done.map((r) => Date.parse(r.iniciada_en!)));
  const last = Math.max(...done.map((r) => Date.parse(r.terminada_en!)));
  if (kind === "rest") {
    const requests = server.counts.total - requestsBefore;
    process.stdout.write(`rest run: ${requests} requests\n`);
  }
  return Math.round(TASKS / ((last - first) / 1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Idle requests per minute (summary line), then pickup latencies. */
async function idleAndLatency(kind: Kind) {
  await reset();
  const worker = startWorker(kind, ["--concurrency", "8"]);
  const requestsBefore = server.counts.total;
  await sleep(IDLE_MS);
  const summary = worker.lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((line) => line.msg === "summary");
  const endpointPerMin =
    kind === "rest"
      ? Math.round(((server.counts.total - requestsBefore) / IDLE_MS) * 60_000)
      : undefined;

  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const [low, high] = SAMPLE_GAP_MS;
    await sleep(low + Math.random() * (high - low));
    const id = `pickup-${i}`;
    const queuedAt = Date.now();
    await redis.command(
      "RPUSH",
      keys.pending,
      JSON.stringify({ id, tipo: "limpiar_cache", claves: ["bench-x"] }),
    );
    for (;;) {
      const found = (await records()).find((r) => r.id === id);
      if (found) {
        latencies.push(Date.parse(found.iniciada_en!) - queuedAt);
        break;
      }
      await sleep(20);
    }
  }
  worker.child.kill("SIGTERM");
  await worker.exited;
  latencies.sort((a, b) => a - b);
  return {
    requests_per_min_idle: summary?.requests_per_min,
    endpoint_requests_per_min_idle: endpointPerMin,
    pickup_ms: {
      min: latencies[0],
      median: latencies[Math.floor(latencies.length / 2)],
      max: latencies.at(-1),
    },
  };
}

const results: Record<string, unknown> = {};
try {
  for (const kind of KINDS) {
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) rates.push(await throughput(kind));
    results[kind] = {
      tasks_per_s: rates,
      ...(SKIP_IDLE ? {} : await idleAndLatency(kind)),
    };
    process.stdout.write(`${kind}: ${JSON.stringify(results[kind])}\n`);
  }
} finally {
  await reset();
  await redis.close();
  await server.close();
}
