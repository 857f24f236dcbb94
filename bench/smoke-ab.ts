import { startBenchRedis } from "./lib/redis.js";
import { setupBenchDatabase } from "./lib/database.js";
import {
  createBatchctl,
  createFloor,
  type RedisBoundSystem,
} from "./lib/systems.js";
import { measureDrain } from "./lib/drain.js";
import { median } from "./lib/stats.js";
const [N, C, R, ...clis] = process.argv.slice(2);
const redis = await startBenchRedis();
const db = await setupBenchDatabase();
const systems: [string, RedisBoundSystem][] = clis.map((cli) => [
  cli,
  createBatchctl(redis.client, {
    redisUrl: redis.url,
    databaseUrl: db.batchUrl,
    cli: `${cli}/src/cli.js`,
  }),
]);
systems.push(["floor", createFloor(redis.client, redis.url)]);
const tps = new Map<string, number[]>(systems.map(([n]) => [n, []]));
const cpu = new Map<string, number[]>(systems.map(([n]) => [n, []]));
try {
  for (let r = 0; r < Number(R); r++)
    for (const [name, s] of r % 2 ? [...systems].reverse() : systems) {
      const res = await measureDrain(redis, s, Number(N), {
        concurrency: Number(C),
      });
      tps.get(name)!.push(res.tps);
      cpu.get(name)!.push(res.usage!.cpu_s);
    }
  const floor = tps.get("floor")!;
  for (const [name] of systems) {
    const t = tps.get(name)!;
    console.log(
      name.padEnd(14),
      Math.round(median(t)),
      "vs floor",
      median(t.map((x, i) => x / floor[i]!)).toFixed(2),
      "runs",
      t.map(Math.round).join(" "),
      "cpu",
      median(cpu.get(name)!).toFixed(2),
    );
  }
} finally {
  await redis.stop();
  await db.drop();
}
