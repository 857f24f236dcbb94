/**
 * `npm run bench:profile`: drains `limpiar_cache` tasks with the built
 * `batchctl work` under `node --cpu-prof` and prints where its CPU time
 * went: the functions with the most self time, and the time per package.
 *
 *   npm run bench:profile [-- tasks=50000 [concurrency=32 [db]]]
 *
 * With `db`, the tasks are `notificar_ticket_creado` (scenario 2's work)
 * instead of `limpiar_cache`.
 *
 * The profile stays in .bench-profile/ for Chrome DevTools or speedscope.
 * Uses the bench's private redis-server and database, like `npm run bench`.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CLI } from "./lib/child.js";
import { setupBenchDatabase } from "./lib/database.js";
import { startBenchRedis } from "./lib/redis.js";
import { progress, thousands } from "./lib/stats.js";
import { createBatchctl } from "./lib/systems.js";

const TASKS = Number(process.argv[2] ?? 50_000);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const DIR = resolve(".bench-profile");
const TOP = 30;
const DATABASE_BOUND = process.argv[4] === "db";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per node id, in ms. */
function selfTimes(profile: Profile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    times.set(id, (times.get(id) ?? 0) + delta);
  });
  return times;
}

/** `ioredis`, `zod`, `batchctl:src/worker`, `node:internal`, ... */
function packageOf(url: string): string {
  if (!url) return "(native / gc / idle)";
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1] as string;
  if (url.startsWith("node:")) return "node:internal";
  const inDist = /dist\/src\/([^/]+)/.exec(url);
  return inDist ? `batchctl:src/${inDist[1]}` : url;
}

function report(profile: Profile): void {
  const times = selfTimes(profile);
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = [...times.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, ms] of times) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url
      .replace(/^.*node_modules\//, "")
      .replace(/^.*dist\//, "");
    const key = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const pkg = packageOf(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((ms / total) * 100).toFixed(1).padStart(5)}%`;
  console.log(`total sampled ${Math.round(total)} ms`);
  console.log("\nself time by package");
  for (const [pkg, ms] of [...byPackage].sort((a, b) => b[1] - a[1])) {
    console.log(
      `${pct(ms)} ${Math.round(ms).toString().padStart(6)} ms  ${pkg}`,
    );
  }
  console.log(`\ntop ${TOP} functions by self time`);
  for (const [key, ms] of [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)) {
    console.log(
      `${pct(ms)} ${Math.round(ms).toString().padStart(6)} ms  ${key}`,
    );
  }
}

const redis = await startBenchRedis();
const db = await setupBenchDatabase().catch(async (error: unknown) => {
  await redis.stop();
  throw error;
});
try {
  const batchctl = createBatchctl(redis.client, {
    redisUrl: redis.url,
    databaseUrl: db.batchUrl,
  });
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  if (DATABASE_BOUND) {
    const encolada_en = new Date().toISOString();
    const tasks = (await db.addTickets(TASKS)).map((ticket_id, i) =>
      JSON.stringify({
        id: `n-${i}`,
        tipo: "notificar_ticket_creado",
        ticket_id,
        encolada_en,
      }),
    );
    const pending = "cola:batch:procesar";
    for (let i = 0; i < tasks.length; i += 1000) {
      await redis.client.rpush(pending, ...tasks.slice(i, i + 1000));
    }
  } else {
    await batchctl.fill(TASKS);
  }
  progress(`draining ${thousands(TASKS)} tasks at concurrency ${CONCURRENCY}`);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--cpu-prof",
      "--cpu-prof-dir",
      DIR,
      CLI,
      "work",
      "--drain",
      "--no-task-log",
    ].concat([
      "--concurrency",
      String(CONCURRENCY),
      "--keep-processed",
      String(TASKS),
    ]),
    {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: redis.url,
        DATABASE_URL_BATCH: db.batchUrl,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const code = await new Promise((done) => child.on("close", done));
  const seconds = (performance.now() - started) / 1000;
  progress(
    `exit ${code} after ${seconds.toFixed(1)} s (process start included)`,
  );
  const [file] = (await readdir(DIR)).filter((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no profile written");
  report(JSON.parse(await readFile(join(DIR, file), "utf8")) as Profile);
  console.log(`\nprofile: ${join(DIR, file)}`);
} finally {
  await redis.stop();
  await db.drop();
}
