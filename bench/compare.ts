/**
 * `npm run bench:compare -- <distA> <distB> [...]`: two or more builds of
 * batchctl (directories holding `src/cli.js`, e.g. a copy of `dist/` made
 * before a change) draining the same Redis-bound queue, beside the floor,
 * in rounds; the median tasks/s of each and its ratio to the floor, and
 * the CPU seconds of each run. For deciding whether a change to the hot
 * path helps, on a machine too busy for absolute numbers.
 *
 *   cp -r dist /tmp/before && <change> && npm run build &&
 *     npm run bench:compare -- /tmp/before dist
 *
 * Env: TASKS (default 50000), CONCURRENCY (32), ROUNDS (5). A build
 * outside the worktree needs node_modules beside it or above it.
 */
import { resolve } from "node:path";
import { setupBenchDatabase } from "./lib/database.js";
import { measureDrain } from "./lib/drain.js";
import { startBenchRedis } from "./lib/redis.js";
import { median, progress, thousands } from "./lib/stats.js";
import {
  createBatchctl,
  createFloor,
  type RedisBoundSystem,
} from "./lib/systems.js";

const TASKS = Number(process.env.TASKS ?? 50_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const builds = process.argv.slice(2);
if (builds.length === 0) {
  process.stderr.write("usage: bench:compare -- <distA> [<distB> ...]\n");
  process.exit(2);
}

const redis = await startBenchRedis();
const db = await setupBenchDatabase().catch(async (error: unknown) => {
  await redis.stop();
  throw error;
});
const contenders: [string, RedisBoundSystem][] = builds.map((dir) => [
  dir,
  createBatchctl(redis.client, {
    redisUrl: redis.url,
    databaseUrl: db.batchUrl,
    cli: resolve(dir, "src/cli.js"),
  }),
]);
contenders.push(["floor", createFloor(redis.client, redis.url)]);
const tps = new Map(contenders.map(([name]) => [name, [] as number[]]));
const cpu = new Map(contenders.map(([name]) => [name, [] as number[]]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...contenders].reverse() : contenders;
    for (const [name, system] of order) {
      const result = await measureDrain(redis, system, TASKS, {
        concurrency: CONCURRENCY,
      });
      tps.get(name)?.push(result.tps);
      cpu.get(name)?.push(result.usage?.cpu_s ?? Number.NaN);
      progress(`round ${round + 1} ${name}: ${thousands(result.tps)} tasks/s`);
    }
  }
} finally {
  await redis.stop();
  await db.drop();
}
const floor = tps.get("floor") ?? [];
for (const [name] of contenders) {
  const runs = tps.get(name) ?? [];
  const vsFloor = median(runs.map((t, i) => t / (floor[i] as number)));
  process.stdout.write(
    `${name.padEnd(24)} ${thousands(median(runs)).padStart(8)} tasks/s  ` +
      `vs floor ${vsFloor.toFixed(2)}  CPU s ${median(cpu.get(name) ?? []).toFixed(2)}  ` +
      `(rounds ${runs.map(thousands).join(" ")})\n`,
  );
}
