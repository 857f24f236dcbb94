/**
 * Scenario 2, database-bound: `notificar_ticket_creado` tasks through
 * `batchctl work` against the same SQL called directly through a pg pool
 * of the same size, in pairs; the queue's overhead in percent of the
 * direct time. batchctl prepares its calls (BATCH_PG_PREPARE=on), a plain
 * pool.query does not: a third side, the direct pool with the same
 * prepared statement, shows what is left of the overhead once both do.
 * Every run starts with no notification recorded, so each call inserts
 * one (the same work in both), right after a checkpoint.
 * Every side first runs `warmup` calls that are not timed (connections
 * opened, code compiled): the figure is the steady state of a worker that
 * runs for hours. Both reach it late: per 1,000 tasks, batchctl ran
 * 2,660-3,021/s, then 4,100, then 6,000-6,500 until its 6,000th task and
 * 6,500-8,000 after; the direct prepared loop 3,650, 5,700, 6,900, then
 * 7,600-11,500.
 */
import { writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchWorker, CLI, startMeasured } from "../lib/child.js";
import type { BenchDatabase } from "../lib/database.js";
import type { BenchRedis } from "../lib/redis.js";
import { median, progress, round, thousands } from "../lib/stats.js";

const PREFIX = "cola:batch";
/** One side of scenario 2. */
interface Contender {
  tps: number;
  runs_tps: number[];
  /** CPU of its process per task (batchctl: Redis work included). */
  cpu_us_per_task: number;
  /** Share of the process's life its event loop was busy (0..1). */
  event_loop_busy: number;
}

/** One run: tasks per second, CPU seconds and event loop use of the process. */
interface Run {
  tps: number;
  cpu_s: number;
  elu: number;
}

/** What scenario 2 measured. */
export interface DatabaseBoundResult {
  tasks: number;
  /** Untimed calls run before them on every side. */
  warmup: number;
  concurrency: number;
  batchctl: Contender;
  direct: Contender;
  /** The direct pool sending the call as a prepared statement. */
  direct_prepared: Contender;
  /** batchctl's time over the direct time, minus 1, in percent. */
  overhead_pct: number;
  overhead_pct_pairs: number[];
  /** The same against `direct_prepared`. */
  overhead_vs_prepared_pct: number;
  overhead_vs_prepared_pct_pairs: number[];
}

async function batchctlRun(
  redis: BenchRedis,
  db: BenchDatabase,
  ids: string[],
  warmup: number,
  concurrency: number,
): Promise<Run> {
  await redis.reset();
  await db.clearNotifications();
  const at = new Date().toISOString();
  const tasks = ids.map((ticket_id, i) =>
    JSON.stringify({
      id: i < warmup ? `w-${i}` : `n-${i}`,
      tipo: "notificar_ticket_creado",
      ticket_id,
      encolada_en: at,
    }),
  );
  for (let i = 0; i < tasks.length; i += 1000) {
    await redis.client.rpush(`${PREFIX}:procesar`, ...tasks.slice(i, i + 1000));
  }

  const worker = startMeasured(
    CLI,
    [
      "work",
      "--drain",
      "--concurrency",
      String(concurrency),
      "--no-task-log",
    ].concat(["--keep-processed", String(ids.length)]),
    {
      REDIS_URL: redis.url,
      DATABASE_URL_BATCH: db.batchUrl,
      BATCH_QUEUE_PREFIX: PREFIX,
    },
  );
  // No polling while it runs: the direct side is not polled either, and on
  // two cores the bench's own requests would slow the contender down. The
  // clock is the records' own: first handler start to last handler end,
  // as the direct side times its first call to its last reply.
  const { code, usage } = await worker.exited;
  if (code !== 0 || !usage) throw new Error(`batchctl exited with ${code}`);
  const failed = await redis.client.llen(`${PREFIX}:fallidas`);
  if (failed > 0) throw new Error(`database-bound: ${failed} tasks failed`);
  const records = await redis.client.lrange(`${PREFIX}:procesadas`, 0, -1);
  if (records.length !== ids.length) {
    throw new Error(`batchctl recorded ${records.length} of ${ids.length}`);
  }
  let first = Infinity;
  let last = -Infinity;
  for (const text of records) {
    const record = JSON.parse(text) as {
      id: string;
      iniciada_en: string;
      terminada_en: string;
    };
    if (record.id.startsWith("w-")) continue;
    first = Math.min(first, Date.parse(record.iniciada_en));
    last = Math.max(last, Date.parse(record.terminada_en));
  }
  const tps = (ids.length - warmup) / (Math.max(last - first, 1) / 1000);
  return { tps, cpu_s: usage.cpu_s, elu: usage.elu };
}

async function directRun(
  db: BenchDatabase,
  idsFile: string,
  warmup: number,
  concurrency: number,
  isPrepared: boolean,
): Promise<Run> {
  await db.clearNotifications();
  const args = [db.batchUrl, String(concurrency), idsFile, String(warmup)];
  if (isPrepared) args.push("prepared");
  const child = startMeasured(benchWorker("direct-db"), args, {});
  const line = await child.waitForLine((l) => l.startsWith("{"));
  const { usage } = await child.exited;
  const { t0, t1, calls, failed } = JSON.parse(line) as Record<string, number>;
  if (failed) throw new Error(`direct: ${failed} calls failed`);
  const tps = (calls as number) / (((t1 as number) - (t0 as number)) / 1000);
  return {
    tps,
    cpu_s: usage?.cpu_s ?? Number.NaN,
    elu: usage?.elu ?? Number.NaN,
  };
}

/** Runs scenario 2: `rounds` rounds of `warmup` + `tasks` calls a side. */
export async function runDatabaseBound(
  redis: BenchRedis,
  db: BenchDatabase,
  { tasks, warmup }: { tasks: number; warmup: number },
  concurrency: number,
  rounds: number,
): Promise<DatabaseBoundResult> {
  const ids = await db.addTickets(warmup + tasks);
  const idsFile = join(tmpdir(), `batchctl-bench-ids-${process.pid}.txt`);
  await writeFile(idsFile, ids.join("\n"));
  const batchctl: Run[] = [];
  const direct: Run[] = [];
  const prepared: Run[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const sides = [
        async () =>
          batchctl.push(await batchctlRun(redis, db, ids, warmup, concurrency)),
        async () =>
          direct.push(await directRun(db, idsFile, warmup, concurrency, false)),
        async () =>
          prepared.push(
            await directRun(db, idsFile, warmup, concurrency, true),
          ),
      ];
      // A B C, then C B A: no side always runs on the warmest machine.
      if (round % 2 === 1) sides.reverse();
      for (const side of sides) await side();
      progress(
        `database-bound round ${round + 1}/${rounds}: batchctl ` +
          `${thousands(batchctl.at(-1)?.tps ?? 0)}/s, ` +
          `direct ${thousands(direct.at(-1)?.tps ?? 0)}/s, ` +
          `direct prepared ${thousands(prepared.at(-1)?.tps ?? 0)}/s`,
      );
    }
  } finally {
    await rm(idsFile, { force: true });
  }
  const overheadsOver = (baseline: Run[]) =>
    batchctl.map((run, i) => ((baseline[i] as Run).tps / run.tps - 1) * 100);
  const overheads = overheadsOver(direct);
  const overheadsPrepared = overheadsOver(prepared);
  const contender = (runs: Run[]): Contender => ({
    tps: round(median(runs.map((r) => r.tps)), 0),
    runs_tps: runs.map((r) => round(r.tps, 0)),
    cpu_us_per_task: round(
      median(runs.map((r) => (r.cpu_s / (warmup + tasks)) * 1e6)),
      0,
    ),
    event_loop_busy: round(median(runs.map((r) => r.elu))),
  });
  return {
    tasks,
    warmup,
    concurrency,
    batchctl: contender(batchctl),
    direct: contender(direct),
    direct_prepared: contender(prepared),
    overhead_pct: round(median(overheads), 1),
    overhead_pct_pairs: overheads.map((o) => round(o, 1)),
    overhead_vs_prepared_pct: round(median(overheadsPrepared), 1),
    overhead_vs_prepared_pct_pairs: overheadsPrepared.map((o) => round(o, 1)),
  };
}
