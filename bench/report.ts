/**
 * The bench's result: one object for --json, tables for people, and the
 * targets of issue 8 checked against it.
 */
import { thousands } from "./lib/stats.js";
import type { SystemName } from "./lib/systems.js";
import type { RssResult, SystemCost } from "./scenarios/cost.js";
import type { DatabaseBoundResult } from "./scenarios/database-bound.js";
import type { PickupResult } from "./scenarios/pickup.js";
import type { ConcurrencyResult } from "./scenarios/redis-bound.js";
import type { RestResult } from "./scenarios/rest.js";

/** Everything one run measured. */
export interface Report {
  mode: "quick" | "full";
  rounds: number;
  machine: {
    cores: number;
    load_before: number[];
    load_after: number[];
    node: string;
    redis: string;
  };
  seconds: number;
  redisBound?: ConcurrencyResult[];
  databaseBound?: DatabaseBoundResult;
  pickup?: Record<string, PickupResult>;
  cost?: Record<SystemName, SystemCost>;
  rss?: RssResult;
  rest?: RestResult;
}

/** One target of issue 8 and whether this run met it. */
interface Target {
  name: string;
  value: number | undefined;
  limit: string;
  isMet: boolean | undefined;
}

function targets(report: Report): Target[] {
  const c32 = report.redisBound?.find((r) => r.concurrency === 32);
  const check = (
    name: string,
    value: number | undefined,
    limit: string,
    test: (v: number) => boolean,
  ): Target => ({
    name,
    value,
    limit,
    isMet: value === undefined ? undefined : test(value),
  });
  return [
    check(
      "c=32 tasks/s vs BullMQ",
      c32?.ratio_vs_bullmq,
      ">= 3",
      (v) => v >= 3,
    ),
    check(
      "c=32 tasks/s vs floor",
      c32?.ratio_vs_floor,
      ">= 0.8",
      (v) => v >= 0.8,
    ),
    check(
      "Redis commands sent per task",
      report.cost?.batchctl.commands_per_task,
      "< 1",
      (v) => v < 1,
    ),
    check(
      "pickup p99 at half load, TCP (ms)",
      report.pickup?.batchctl?.pickup_p99_ms,
      "< 5",
      (v) => v < 5,
    ),
    check(
      "database-bound overhead (%)",
      report.databaseBound?.overhead_pct,
      "< 10",
      (v) => v < 10,
    ),
    check(
      "  the same, direct pool prepared too (%)",
      report.databaseBound?.overhead_vs_prepared_pct,
      "< 10",
      (v) => v < 10,
    ),
    check(
      "peak RSS large / small",
      report.rss?.ratio,
      "<= 1.2",
      (v) => v <= 1.2,
    ),
  ];
}

/** The JSON form: every figure, without the raw per-run objects. */
export function toJson(report: Report): unknown {
  const redisBound = report.redisBound?.map((entry) => ({
    ...entry,
    systems: Object.fromEntries(
      Object.entries(entry.systems).map(([name, runs]) => [
        name,
        { tps: runs.tps, runs_tps: runs.runs_tps },
      ]),
    ),
  }));
  return {
    ...report,
    redisBound,
    targets: targets(report).map((t) => ({
      name: t.name,
      value: t.value,
      limit: t.limit,
      met: t.isMet,
    })),
  };
}

const pad = (value: string | number, width: number) =>
  String(value).padStart(width);
const rate = (n: number) => pad(thousands(n), 9);
const pairs = (values: number[]) => values.map((v) => v.toFixed(2)).join(" ");

/** Prints the tables of `report` on stdout. */
export function printReport(report: Report): void {
  const lines: string[] = [];
  const { machine } = report;
  lines.push(
    `batchctl bench (${report.mode}, ${report.rounds} rounds, ${report.seconds} s): ` +
      `${machine.cores} cores, load ${machine.load_before[0]} -> ${machine.load_after[0]}, ` +
      `Node ${machine.node}, private redis-server ${machine.redis}`,
  );

  if (report.redisBound) {
    lines.push(
      "",
      "1. Redis-bound: limpiar_cache, one key per task; tasks/s, median of the rounds",
      "conc    tasks  batchctl    bullmq     floor  vs bullmq (rounds)        vs floor (rounds)",
    );
    for (const r of report.redisBound) {
      const s = r.systems;
      lines.push(
        `${pad(r.concurrency, 4)} ${pad(thousands(r.tasks), 8)} ${rate(s.batchctl.tps)} ` +
          `${rate(s.bullmq.tps)} ${rate(s.floor.tps)}  ` +
          `${r.ratio_vs_bullmq.toFixed(2)} (${pairs(r.ratio_vs_bullmq_pairs)})`.padEnd(
            26,
          ) +
          `${r.ratio_vs_floor.toFixed(2)} (${pairs(r.ratio_vs_floor_pairs)})`,
      );
    }
  }

  const d = report.databaseBound;
  if (d) {
    lines.push(
      "",
      `2. Database-bound: notificar_ticket_creado, ${thousands(d.tasks)} tasks ` +
        `after ${thousands(d.warmup)} untimed, concurrency ${d.concurrency}`,
      `batchctl ${thousands(d.batchctl.tps)}/s (${d.batchctl.runs_tps.map(thousands).join(" ")}), ` +
        `direct pg pool ${thousands(d.direct.tps)}/s (${d.direct.runs_tps.map(thousands).join(" ")}): ` +
        `overhead ${d.overhead_pct}% (rounds ${d.overhead_pct_pairs.join(" ")})`,
      `direct pool, prepared as batchctl does ${thousands(d.direct_prepared.tps)}/s ` +
        `(${d.direct_prepared.runs_tps.map(thousands).join(" ")}): ` +
        `overhead ${d.overhead_vs_prepared_pct}% (rounds ${d.overhead_vs_prepared_pct_pairs.join(" ")})`,
      `per task, CPU of the process (start included): batchctl ${d.batchctl.cpu_us_per_task} µs, ` +
        `direct ${d.direct.cpu_us_per_task} µs, direct prepared ${d.direct_prepared.cpu_us_per_task} µs; ` +
        `event loop busy: batchctl ${d.batchctl.event_loop_busy}, direct ${d.direct.event_loop_busy}, ` +
        `direct prepared ${d.direct_prepared.event_loop_busy}`,
    );
  }

  if (report.pickup) {
    lines.push(
      "",
      "3. Pickup latency, enqueue to start, open-loop producer at half capacity, concurrency 32",
      "             rate/s  samples  p50 ms  p99 ms  max ms  loop delay p99  longest GC  (medians)",
    );
    for (const [name, p] of Object.entries(report.pickup)) {
      lines.push(
        `${name.padEnd(10)} ${rate(p.rate_per_s)} ${pad(thousands(p.samples), 8)} ` +
          `${pad(p.pickup_p50_ms, 7)} ${pad(p.pickup_p99_ms, 7)} ${pad(p.pickup_max_ms, 7)}` +
          `${pad(p.loop_delay_p99_ms, 16)} ${pad(p.gc_longest_ms, 11)}` +
          `   p99 per round: ${p.runs.map((r) => r.pickup_p99_ms).join(" ")}`,
      );
    }
  }

  if (report.cost) {
    lines.push(
      "",
      "4. Cost per task, concurrency 32",
      "           sent/task  executed/task  CPU s/10k  peak RSS MB  most sent, per task",
    );
    for (const [name, c] of Object.entries(report.cost)) {
      const top = Object.entries(c.sent_per_task)
        .map(([cmd, n]) => `${cmd} ${n}`)
        .join(", ");
      lines.push(
        `${name.padEnd(10)} ${pad(c.commands_per_task.toFixed(3), 9)} ${pad(c.executed_per_task.toFixed(2), 14)} ` +
          `${pad(c.cpu_s_per_10k.toFixed(2), 10)} ${pad(c.max_rss_mb.toFixed(0), 12)}  ${top}`,
      );
    }
  }
  const rss = report.rss;
  if (rss) {
    lines.push(
      `batchctl peak RSS, --concurrency ${rss.concurrency}, procesadas capped at 10,000: ` +
        `${thousands(rss.small.tasks)} tasks ${rss.small.rss_mb} MB, ` +
        `${thousands(rss.large.tasks)} tasks ${rss.large.rss_mb} MB (x${rss.ratio.toFixed(2)}; ` +
        `${thousands(rss.large.tps)} tasks/s)`,
    );
  }

  const r = report.rest;
  if (r) {
    lines.push(
      "",
      `5. REST beside TCP: batchctl, ${thousands(r.tasks)} tasks, concurrency ${r.concurrency}; ` +
        "pickup at half of each one's capacity",
      "        tasks/s (rounds)                requests/task  pickup p50  p99    max ms",
    );
    for (const kind of ["tcp", "rest"] as const) {
      const t = r[kind];
      lines.push(
        `${kind.padEnd(5)} ${rate(t.tps)} (${t.runs_tps.map(thousands).join(" ")})`.padEnd(
          40,
        ) +
          `${pad(t.requests_per_task?.toFixed(3) ?? "-", 13)} ${pad(t.pickup.pickup_p50_ms, 11)} ` +
          `${pad(t.pickup.pickup_p99_ms, 5)} ${pad(t.pickup.pickup_max_ms, 7)}`,
      );
    }
    lines.push(
      `REST / TCP tasks/s: ${r.ratio_rest_vs_tcp} (rounds ${r.ratio_rest_vs_tcp_pairs.join(" ")})`,
    );
  }

  lines.push("", "Targets (issue 8)");
  for (const t of targets(report)) {
    const verdict =
      t.isMet === undefined ? "not measured" : t.isMet ? "met" : "NOT MET";
    lines.push(
      `  ${t.name.padEnd(38)} ${pad(t.value ?? "-", 8)}  ${t.limit.padEnd(6)} ${verdict}`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
