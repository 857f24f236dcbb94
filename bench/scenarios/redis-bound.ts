/**
 * Scenario 1, Redis-bound throughput: `limpiar_cache` tasks of one key
 * each at several concurrencies, batchctl against BullMQ and the floor,
 * in rounds of one run each (order reversed every other round, so drift
 * in the machine's load hits every system alike).
 */
import { measureDrain, type DrainResult } from "../lib/drain.js";
import type { BenchRedis } from "../lib/redis.js";
import { median, progress, ratios, round, thousands } from "../lib/stats.js";
import type { RedisBoundSystem, SystemName } from "../lib/systems.js";

/** Every run of one system at one concurrency. */
export interface SystemRuns {
  tps: number;
  runs_tps: number[];
  /** Kept for the cost scenario (CPU, commands); not printed. */
  results: DrainResult[];
}

/** The figures of one concurrency. */
export interface ConcurrencyResult {
  concurrency: number;
  tasks: number;
  systems: Record<SystemName, SystemRuns>;
  ratio_vs_bullmq: number;
  ratio_vs_bullmq_pairs: number[];
  ratio_vs_floor: number;
  ratio_vs_floor_pairs: number[];
}

/** Runs scenario 1 for each `[concurrency, tasks]`. */
export async function runRedisBound(
  redis: BenchRedis,
  systems: RedisBoundSystem[],
  sizes: [concurrency: number, tasks: number][],
  rounds: number,
): Promise<ConcurrencyResult[]> {
  const results: ConcurrencyResult[] = [];
  for (const [concurrency, tasks] of sizes) {
    const runs = new Map<SystemName, DrainResult[]>(
      systems.map((system) => [system.name, []]),
    );
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        const result = await measureDrain(redis, system, tasks, {
          concurrency,
        });
        runs.get(system.name)?.push(result);
        progress(
          `redis-bound c=${concurrency} round ${round + 1}/${rounds} ` +
            `${system.name}: ${thousands(result.tps)} tasks/s`,
        );
      }
    }
    results.push(summarise(concurrency, tasks, runs));
  }
  return results;
}

function summarise(
  concurrency: number,
  tasks: number,
  runs: Map<SystemName, DrainResult[]>,
): ConcurrencyResult {
  const tpsOf = (name: SystemName) => (runs.get(name) ?? []).map((r) => r.tps);
  const systems = Object.fromEntries(
    [...runs].map(([name, list]) => [
      name,
      {
        tps: round(median(tpsOf(name)), 0),
        runs_tps: tpsOf(name).map((tps) => round(tps, 0)),
        results: list,
      },
    ]),
  ) as Record<SystemName, SystemRuns>;
  const vsBullmq = ratios(tpsOf("batchctl"), tpsOf("bullmq"));
  const vsFloor = ratios(tpsOf("batchctl"), tpsOf("floor"));
  return {
    concurrency,
    tasks,
    systems,
    ratio_vs_bullmq: round(median(vsBullmq)),
    ratio_vs_bullmq_pairs: vsBullmq.map((r) => round(r)),
    ratio_vs_floor: round(median(vsFloor)),
    ratio_vs_floor_pairs: vsFloor.map((r) => round(r)),
  };
}
