/**
 * Scenario 5, REST beside TCP: the same batchctl binary over TCP and over
 * the Upstash-compatible test endpoint (test/fixtures/rest-server.ts, run
 * inside the bench process) in front of the same Redis: throughput at
 * concurrency 32 and pickup latency at half of each one's capacity, in
 * pairs. The endpoint is local, so a real one adds its network round trip
 * to every request.
 */
import { randomBytes } from "node:crypto";
import { startRestServer } from "../../test/fixtures/rest-server.js";
import { measureDrain } from "../lib/drain.js";
import type { BenchRedis } from "../lib/redis.js";
import { median, progress, ratios, round, thousands } from "../lib/stats.js";
import type { RedisBoundSystem } from "../lib/systems.js";
import {
  batchctlLatencies,
  measurePickup,
  summarisePickup,
  type PickupResult,
  type PickupRun,
} from "./pickup.js";

/** Figures of one transport. */
export interface TransportResult {
  tps: number;
  runs_tps: number[];
  /** HTTP requests per task (REST only). */
  requests_per_task?: number;
  pickup: PickupResult;
}

/** What scenario 5 measured. */
export interface RestResult {
  tasks: number;
  concurrency: number;
  tcp: TransportResult;
  rest: TransportResult;
  /** REST tasks/s over TCP tasks/s, per pair and median. */
  ratio_rest_vs_tcp: number;
  ratio_rest_vs_tcp_pairs: number[];
}

/** Runs scenario 5. */
export async function runRest(
  redis: BenchRedis,
  batchctl: RedisBoundSystem,
  tasks: number,
  pickupSeconds: { warmup: number; measured: number },
  rounds: number,
): Promise<RestResult> {
  const server = await startRestServer({
    redisUrl: redis.url,
    token: randomBytes(12).toString("hex"),
  });
  const envs = { tcp: undefined, rest: server.env() };
  const tps = { tcp: [] as number[], rest: [] as number[] };
  const requests: number[] = [];
  const pickups = { tcp: [] as PickupRun[], rest: [] as PickupRun[] };
  try {
    for (let round = 0; round < rounds; round++) {
      const order =
        round % 2 === 0
          ? (["tcp", "rest"] as const)
          : (["rest", "tcp"] as const);
      for (const kind of order) {
        const before = server.counts.total;
        const env = envs[kind];
        const result = await measureDrain(redis, batchctl, tasks, {
          concurrency: 32,
          ...(env ? { env } : {}),
        });
        tps[kind].push(result.tps);
        if (kind === "rest")
          requests.push((server.counts.total - before) / tasks);
        progress(
          `rest round ${round + 1}/${rounds} ${kind}: ${thousands(result.tps)} tasks/s`,
        );
      }
    }
    for (let round = 0; round < rounds; round++) {
      const order =
        round % 2 === 0
          ? (["tcp", "rest"] as const)
          : (["rest", "tcp"] as const);
      for (const kind of order) {
        const rate = median(tps[kind]) / 2;
        const run = await measurePickup(
          redis,
          batchctl,
          batchctlLatencies,
          rate,
          pickupSeconds,
          envs[kind],
        );
        pickups[kind].push(run);
        progress(
          `rest pickup round ${round + 1}/${rounds} ${kind} at ${run.rate_per_s}/s: ` +
            `p50 ${run.pickup_p50_ms} ms, p99 ${run.pickup_p99_ms} ms`,
        );
      }
    }
  } finally {
    await server.close();
  }
  const ratio = ratios(tps.rest, tps.tcp);
  return {
    tasks,
    concurrency: 32,
    tcp: {
      tps: round(median(tps.tcp), 0),
      runs_tps: tps.tcp.map((t) => round(t, 0)),
      pickup: summarisePickup(pickups.tcp),
    },
    rest: {
      tps: round(median(tps.rest), 0),
      runs_tps: tps.rest.map((t) => round(t, 0)),
      requests_per_task: round(median(requests), 3),
      pickup: summarisePickup(pickups.rest),
    },
    ratio_rest_vs_tcp: round(median(ratio), 3),
    ratio_rest_vs_tcp_pairs: ratio.map((r) => round(r, 3)),
  };
}
