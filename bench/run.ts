/**
 * `npm run bench`: batchctl side by side with BullMQ and with the floor (the
 * least Redis work that keeps the same guarantees), on one machine, one
 * private Redis and one PostgreSQL database, in one run:
 *
 *   1. Redis-bound throughput (limpiar_cache) at concurrency 1, 8, 32;
 *   2. database-bound throughput (notificar_ticket_creado) against the same
 *      SQL called directly through a pg pool;
 *   3. pickup latency under an open-loop producer at half capacity;
 *   4. cost per task: Redis commands, CPU seconds, peak RSS;
 *   5. REST transport beside TCP.
 *
 *   npm run bench [-- --quick] [-- --json] [-- --save FILE] [-- --rounds 3]
 *     [-- --only redis,db,pickup,cost,rest]
 *
 * Every comparison runs in rounds of one run per contender (order reversed
 * every other round) and reports medians and the ratio of each round, so
 * that the load of a shared machine hits both sides of a ratio alike.
 * Progress goes to stderr; the result to stdout, as tables or, with
 * --json, as one JSON object (use `npm run -s bench -- --json` to keep
 * npm's banner out of stdout); --save FILE also writes that object to FILE.
 *
 * Needs redis-server on PATH (a private one is started on a free port) and
 * PostgreSQL at BENCH_PG_URL / TEST_PG_URL or postgres://postgres@127.0.0.1:5432
 * (a database `batchctl_bench_<pid>` is created and dropped). Build first
 * (`npm run bench` does): the worker under test is dist/src/cli.js.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { setupBenchDatabase } from "./lib/database.js";
import { startBenchRedis } from "./lib/redis.js";
import { progress } from "./lib/stats.js";
import {
  createBatchctl,
  createBullmq,
  createFloor,
  type RedisBoundSystem,
} from "./lib/systems.js";
import { runCost, runRss } from "./scenarios/cost.js";
import { runDatabaseBound } from "./scenarios/database-bound.js";
import {
  batchctlLatencies,
  bullmqLatencies,
  runPickup,
} from "./scenarios/pickup.js";
import { runRedisBound } from "./scenarios/redis-bound.js";
import { runRest } from "./scenarios/rest.js";
import { printReport, toJson, type Report } from "./report.js";

/** The sizes of one mode of the bench. */
interface Plan {
  redisBound: [concurrency: number, tasks: number][];
  databaseTasks: number;
  /** Untimed calls before them, on every side (code compiled, pool open). */
  databaseWarmup: number;
  /** Warm-up, then measured seconds of the open-loop producer. */
  pickupSeconds: { warmup: number; measured: number };
  costTasks: number;
  rss: [small: number, large: number];
  restTasks: number;
  restPickupSeconds: { warmup: number; measured: number };
  /** Runs of a worker on an empty queue (its start-up CPU). */
  idleRuns: number;
}

const FULL: Plan = {
  redisBound: [
    [1, 50_000],
    [8, 50_000],
    [32, 50_000],
  ],
  databaseTasks: 10_000,
  databaseWarmup: 6_000,
  pickupSeconds: { warmup: 2, measured: 5 },
  costTasks: 10_000,
  rss: [10_000, 1_000_000],
  restTasks: 10_000,
  restPickupSeconds: { warmup: 2, measured: 4 },
  idleRuns: 3,
};

/** Under two minutes on the 2-core machine: smaller sizes, same rounds. */
const QUICK: Plan = {
  redisBound: [
    [1, 1_000],
    [8, 3_000],
    [32, 6_000],
  ],
  databaseTasks: 2_000,
  databaseWarmup: 2_000,
  pickupSeconds: { warmup: 0.5, measured: 1 },
  costTasks: 3_000,
  rss: [10_000, 30_000],
  restTasks: 1_000,
  restPickupSeconds: { warmup: 0.5, measured: 1 },
  idleRuns: 2,
};

const SCENARIOS = ["redis", "db", "pickup", "cost", "rest"] as const;
type Scenario = (typeof SCENARIOS)[number];

function parseArgs(argv: string[]) {
  const value = (flag: string) => {
    const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (at < 0) return undefined;
    const arg = argv[at] as string;
    return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[at + 1];
  };
  const known = ["--quick", "--json", "--save", "--rounds", "--only"];
  const unknown = argv.find(
    (a) => a.startsWith("--") && !known.includes(a.split("=")[0] as string),
  );
  if (unknown) usage(`unknown option ${unknown}`);
  const rounds = Number(value("--rounds") ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1)
    usage("--rounds: a whole number of at least 1");
  const only = (value("--only") ?? SCENARIOS.join(",")).split(
    ",",
  ) as Scenario[];
  const bad = only.find((s) => !SCENARIOS.includes(s));
  if (bad)
    usage(`--only: unknown scenario ${bad} (known: ${SCENARIOS.join(", ")})`);
  return {
    isQuick: argv.includes("--quick"),
    json: argv.includes("--json"),
    save: value("--save"),
    rounds,
    only: new Set(only),
  };
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
const plan = args.isQuick ? QUICK : FULL;
const startedAt = Date.now();
const report: Report = {
  mode: args.isQuick ? "quick" : "full",
  rounds: args.rounds,
  machine: {
    cores: cpus().length,
    load_before: loadavg().map((l) => Math.round(l * 100) / 100),
    load_after: [],
    node: process.version,
    redis: "",
  },
  seconds: 0,
};

progress(
  `mode ${report.mode}, ${args.rounds} rounds, scenarios ${[...args.only].join(",")}`,
);
const redis = await startBenchRedis();
const db = await setupBenchDatabase().catch(async (error: unknown) => {
  await redis.stop();
  throw error;
});
const info = await redis.client.info("server");
report.machine.redis = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
const batchctl = createBatchctl(redis.client, {
  redisUrl: redis.url,
  databaseUrl: db.batchUrl,
});
const bullmq = createBullmq(redis.client, redis.url);
const floor = createFloor(redis.client, redis.url);
const systems: RedisBoundSystem[] = [batchctl, bullmq, floor];

try {
  const needsC32 = args.only.has("pickup") || args.only.has("cost");
  if (args.only.has("redis") || needsC32) {
    const sizes = args.only.has("redis")
      ? plan.redisBound
      : plan.redisBound.filter(([c]) => c === 32);
    report.redisBound = await runRedisBound(redis, systems, sizes, args.rounds);
  }
  const c32 = report.redisBound?.find((r) => r.concurrency === 32);
  if (args.only.has("db")) {
    report.databaseBound = await runDatabaseBound(
      redis,
      db,
      { tasks: plan.databaseTasks, warmup: plan.databaseWarmup },
      32,
      args.rounds,
    );
  }
  if (args.only.has("pickup") && c32) {
    report.pickup = await runPickup(
      redis,
      [
        {
          system: batchctl,
          read: batchctlLatencies,
          rate: c32.systems.batchctl.tps / 2,
        },
        {
          system: bullmq,
          read: bullmqLatencies,
          rate: c32.systems.bullmq.tps / 2,
        },
      ],
      plan.pickupSeconds,
      args.rounds,
    );
  }
  if (args.only.has("cost") && c32) {
    report.cost = await runCost(
      redis,
      systems,
      plan.costTasks,
      c32.systems,
      plan.idleRuns,
    );
    report.rss = await runRss(redis, batchctl, ...plan.rss);
  }
  if (args.only.has("rest")) {
    report.rest = await runRest(
      redis,
      batchctl,
      plan.restTasks,
      plan.restPickupSeconds,
      args.rounds,
    );
  }
} finally {
  await bullmq.close();
  await redis.stop();
  await db.drop();
}

report.machine.load_after = loadavg().map((l) => Math.round(l * 100) / 100);
report.seconds = Math.round((Date.now() - startedAt) / 1000);
const json = JSON.stringify(toJson(report));
if (args.save) writeFileSync(args.save, `${json}\n`);
if (args.json) process.stdout.write(`${json}\n`);
else printReport(report);
