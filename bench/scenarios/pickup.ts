/**
 * Scenario 3, pickup latency: an open-loop producer queues tasks at a
 * fixed rate (half the capacity measured in scenario 1) to an idle,
 * running worker, and each task's enqueue-to-start time is taken.
 *
 * Start is when the handler begins: for batchctl the record's
 * `iniciada_en` minus the task's `encolada_en` (set by the producer just
 * before its RPUSH); for BullMQ the processor's first line minus
 * `job.timestamp` (set by the producer when it creates the job). One
 * machine, one clock; both are whole milliseconds, so each latency is
 * within 1 ms of the truth. The producer runs a warm-up at the same rate
 * before the measured tasks, which alone are counted: a worker that has
 * just started (code not yet optimised, connections opening) falls behind
 * at first, and what is measured is a running worker.
 */
import type { MeasuredChild } from "../lib/child.js";
import type { BenchRedis } from "../lib/redis.js";
import { median, percentile, progress, round, sleep } from "../lib/stats.js";
import {
  cacheTask,
  createCacheKeys,
  type RedisBoundSystem,
} from "../lib/systems.js";

/** Time given to a started worker to open its connections. */
const SETTLE_MS = 300;
const DONE_TIMEOUT_MS = 60_000;

/** Latencies of one run. */
export interface PickupRun {
  rate_per_s: number;
  samples: number;
  pickup_p50_ms: number;
  pickup_p99_ms: number;
  pickup_max_ms: number;
  /** The worker's event loop delay (p99) and its longest GC pause. */
  loop_delay_p99_ms: number;
  gc_longest_ms: number;
}

/** Medians over the runs of one system. */
export interface PickupResult extends PickupRun {
  runs: PickupRun[];
}

/** Reads each task's latency once the worker has stopped. */
export type LatencyReader = (
  redis: BenchRedis,
  worker: MeasuredChild,
) => Promise<{ index: number; ms: number }[]>;

/** batchctl: from the records, `iniciada_en - encolada_en`. */
export const batchctlLatencies: LatencyReader = async (redis) => {
  const records = await redis.client.lrange("cola:batch:procesadas", 0, -1);
  return records.map((text) => {
    const record = JSON.parse(text) as {
      id: string;
      encolada_en: string;
      iniciada_en: string;
    };
    return {
      index: Number(record.id.slice(2)),
      ms: Date.parse(record.iniciada_en) - Date.parse(record.encolada_en),
    };
  });
};

/** BullMQ: the worker prints each job's number and latency at exit. */
export const bullmqLatencies: LatencyReader = async (_redis, worker) => {
  const line = await worker.waitForLine((l) => l.startsWith("{"));
  const { pickup_ms } = JSON.parse(line) as { pickup_ms: [number, number][] };
  return pickup_ms.map(([index, ms]) => ({ index, ms }));
};

/**
 * Queues `total` tasks at `rate` per second, open loop: each millisecond
 * tick sends what is due, without waiting for earlier sends.
 */
async function produce(
  system: RedisBoundSystem,
  rate: number,
  total: number,
): Promise<number> {
  const sends: Promise<unknown>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(
      total,
      Math.floor(((performance.now() - started) / 1000) * rate),
    );
    if (due > sent) {
      const at = new Date();
      const tasks = [];
      for (; sent < due; sent++) tasks.push(cacheTask(sent, at));
      sends.push(system.push(tasks));
    }
    await sleep(1);
  }
  await Promise.all(sends);
  return total;
}

/** One pickup run of `system` at `rate` tasks/s for `seconds`. */
export async function measurePickup(
  redis: BenchRedis,
  system: RedisBoundSystem,
  read: LatencyReader,
  rate: number,
  seconds: { warmup: number; measured: number },
  env?: Record<string, string>,
): Promise<PickupRun> {
  await redis.reset();
  const warmup = Math.round(rate * seconds.warmup);
  const total = warmup + Math.round(rate * seconds.measured);
  await createCacheKeys(redis.client, total);
  const worker = system.start({
    concurrency: 32,
    drain: false,
    keep: total,
    env: { BENCH_LOOP_DELAY: "1", ...env },
  });
  try {
    await system.ready(worker);
    await sleep(SETTLE_MS);
    await produce(system, rate, total);
    const deadline = Date.now() + DONE_TIMEOUT_MS;
    while ((await system.counts())[1] < total) {
      if (Date.now() > deadline)
        throw new Error(`${system.name}: pickup run timed out`);
      await sleep(10);
    }
  } finally {
    worker.child.kill("SIGTERM");
  }
  const latencies = await read(redis, worker);
  const { usage } = await worker.exited;

  const kept = latencies.filter((l) => l.index >= warmup).map((l) => l.ms);
  return {
    rate_per_s: round(rate, 0),
    samples: kept.length,
    pickup_p50_ms: percentile(kept, 50),
    pickup_p99_ms: percentile(kept, 99),
    // Not Math.max(...kept): past about 120,000 samples that overflows the stack.
    pickup_max_ms: kept.reduce(
      (a, b) => Math.max(a, b),
      Number.NEGATIVE_INFINITY,
    ),
    loop_delay_p99_ms: usage?.loop_delay_p99_ms ?? Number.NaN,
    gc_longest_ms: usage?.gc_longest_ms ?? Number.NaN,
  };
}

/** Medians of each figure over `runs`. */
export function summarisePickup(runs: PickupRun[]): PickupResult {
  const of = (key: keyof PickupRun) => median(runs.map((run) => run[key]));
  return {
    rate_per_s: of("rate_per_s"),
    samples: of("samples"),
    pickup_p50_ms: of("pickup_p50_ms"),
    pickup_p99_ms: of("pickup_p99_ms"),
    pickup_max_ms: of("pickup_max_ms"),
    loop_delay_p99_ms: of("loop_delay_p99_ms"),
    gc_longest_ms: of("gc_longest_ms"),
    runs,
  };
}

/** Runs scenario 3: `rounds` pairs, each system at its own `rates` entry. */
export async function runPickup(
  redis: BenchRedis,
  subjects: { system: RedisBoundSystem; read: LatencyReader; rate: number }[],
  seconds: { warmup: number; measured: number },
  rounds: number,
): Promise<Record<string, PickupResult>> {
  const runs = new Map<string, PickupRun[]>(
    subjects.map((s) => [s.system.name, []]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const { system, read, rate } of order) {
      const run = await measurePickup(redis, system, read, rate, seconds);
      runs.get(system.name)?.push(run);
      progress(
        `pickup round ${round + 1}/${rounds} ${system.name} at ${run.rate_per_s}/s: ` +
          `p50 ${run.pickup_p50_ms} ms, p99 ${run.pickup_p99_ms} ms, max ${run.pickup_max_ms} ms; ` +
          `worker loop delay p99 ${run.loop_delay_p99_ms} ms, longest GC ${run.gc_longest_ms} ms`,
      );
    }
  }
  return Object.fromEntries(
    [...runs].map(([name, list]) => [name, summarisePickup(list)]),
  );
}
