/**
 * Scenario 4, cost per task:
 * - Redis commands per task at concurrency 32, one run per system with
 *   MONITOR attached: `commands_per_task` counts what the worker sent (a
 *   script call or a transaction's MULTI, EXEC and queued commands each
 *   count one), `executed_per_task` every command Redis ran, the ones
 *   inside scripts included (INFO commandstats);
 * - worker CPU seconds per 10,000 tasks: the CPU of scenario 1's runs at
 *   concurrency 32 minus that of a worker that starts on an empty queue
 *   and stops (loading, connecting, shutting down);
 * - batchctl's peak RSS draining a small and a large queue (default
 *   `--keep-processed`, so `procesadas` stays capped as in production).
 */
import type { Usage } from "../lib/child.js";
import { measureDrain } from "../lib/drain.js";
import type { BenchRedis } from "../lib/redis.js";
import { median, progress, round, sleep, thousands } from "../lib/stats.js";
import type { RedisBoundSystem, SystemName } from "../lib/systems.js";
import type { SystemRuns } from "./redis-bound.js";

const POLL_MS = 20;

/** Cost figures of one system. */
export interface SystemCost {
  commands_per_task: number;
  executed_per_task: number;
  /** Top commands sent, per task. */
  sent_per_task: Record<string, number>;
  cpu_s_per_10k: number;
  /** CPU of a worker that starts on an empty queue and stops. */
  cpu_s_idle_start: number;
  max_rss_mb: number;
}

/** Peak RSS of batchctl at two queue sizes. */
export interface RssResult {
  concurrency: number;
  small: { tasks: number; rss_mb: number; cpu_s: number; tps: number };
  large: { tasks: number; rss_mb: number; cpu_s: number; tps: number };
  /** large / small */
  ratio: number;
}

const perTask = (calls: Map<string, number> | undefined, tasks: number) =>
  [...(calls ?? new Map<string, number>()).values()].reduce(
    (a, b) => a + b,
    0,
  ) / tasks;

/** CPU of a worker that finds the queue empty (startup and shutdown). */
async function idleStartCpu(
  redis: BenchRedis,
  system: RedisBoundSystem,
  runs: number,
): Promise<number> {
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    await redis.reset();
    const worker = system.start({ concurrency: 32, drain: true, keep: 1 });
    await system.ready(worker);
    if (system.name === "bullmq") await worker.stop();
    const { code, usage } = await worker.exited;
    if (code !== 0 || !usage) {
      throw new Error(`${system.name} (empty queue) exited with ${code}`);
    }
    cpu.push(usage.cpu_s);
  }
  return median(cpu);
}

/** Runs the commands and CPU part of scenario 4. */
export async function runCost(
  redis: BenchRedis,
  systems: RedisBoundSystem[],
  tasks: number,
  c32: Record<SystemName, SystemRuns>,
  idleRuns: number,
): Promise<Record<SystemName, SystemCost>> {
  const costs: Partial<Record<SystemName, SystemCost>> = {};
  for (const system of systems) {
    const result = await measureDrain(redis, system, tasks, {
      concurrency: 32,
      monitor: true,
    });
    const idle = await idleStartCpu(redis, system, idleRuns);
    const runs = c32[system.name].results;
    const cpuPerTask = median(
      runs.map((run) => ((run.usage?.cpu_s ?? Number.NaN) - idle) / run.tasks),
    );
    const sentPerTask = [...(result.sent ?? [])]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, calls]) => [name, round(calls / tasks, 3)]);
    costs[system.name] = {
      commands_per_task: round(perTask(result.sent, tasks), 3),
      executed_per_task: round(perTask(result.commands, tasks), 2),
      sent_per_task: Object.fromEntries(sentPerTask),
      cpu_s_per_10k: round(cpuPerTask * 10_000, 3),
      cpu_s_idle_start: round(idle, 2),
      max_rss_mb: round(
        median(runs.map((r) => r.usage?.max_rss_mb ?? Number.NaN)),
        1,
      ),
    };
    progress(
      `cost ${system.name}: ${costs[system.name]?.commands_per_task} commands sent/task, ` +
        `${costs[system.name]?.executed_per_task} executed/task, ` +
        `${costs[system.name]?.cpu_s_per_10k} CPU s/10k`,
    );
  }
  return costs as Record<SystemName, SystemCost>;
}

/** Drains `tasks` with batchctl and its default record cap; its usage. */
async function rssRun(
  redis: BenchRedis,
  batchctl: RedisBoundSystem,
  tasks: number,
  concurrency: number,
): Promise<{ usage: Usage; tps: number }> {
  await redis.reset();
  await batchctl.fill(tasks);
  const started = performance.now();
  const worker = batchctl.start({ concurrency, drain: true, keep: 10_000 });
  let t0: number | undefined;
  while (worker.child.exitCode === null) {
    if (t0 === undefined && (await batchctl.counts())[0] < tasks) {
      t0 = performance.now();
    }
    await sleep(POLL_MS);
  }
  const { code, usage } = await worker.exited;
  const seconds = (performance.now() - (t0 ?? started)) / 1000;
  if (code !== 0 || !usage) throw new Error(`batchctl exited with ${code}`);
  const [pending] = await batchctl.counts();
  const kept = await redis.client.llen("cola:batch:procesadas");
  const failed = await redis.client.llen("cola:batch:fallidas");
  if (pending > 0 || failed > 0 || kept !== Math.min(tasks, 10_000)) {
    throw new Error(
      `rss run: ${pending} left, ${failed} failed, ${kept} records kept`,
    );
  }
  return { usage, tps: tasks / seconds };
}

/** Runs the RSS part of scenario 4: batchctl at `small` and `large`. */
export async function runRss(
  redis: BenchRedis,
  batchctl: RedisBoundSystem,
  small: number,
  large: number,
): Promise<RssResult> {
  const concurrency = 32;
  const figures = [];
  for (const tasks of [small, large]) {
    const { usage, tps } = await rssRun(redis, batchctl, tasks, concurrency);
    figures.push({
      tasks,
      rss_mb: round(usage.max_rss_mb, 1),
      cpu_s: round(usage.cpu_s, 2),
      tps: round(tps, 0),
    });
    progress(
      `rss ${thousands(tasks)} tasks: peak RSS ${round(usage.max_rss_mb, 1)} MB, ` +
        `${round(usage.cpu_s, 1)} CPU s`,
    );
  }
  const [a, b] = figures as [RssResult["small"], RssResult["large"]];
  return { concurrency, small: a, large: b, ratio: round(b.rss_mb / a.rss_mb) };
}
