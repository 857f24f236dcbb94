/**
 * Prometheus metrics of one worker (prom-client, a registry of its own).
 * Task counters follow the worker's events; the lengths of the lists are
 * read from Redis at each scrape, so the task path pays nothing for them.
 */
import type { Registry } from "prom-client";
import type { TypedEmitter, WorkerEvents } from "../../common/events.js";
import { TIPOS } from "../../common/task.js";
import {
  LIST_NAMES,
  queueDepths,
  type QueueContext,
} from "../../queue/index.js";
import { withDeadline } from "../signal.js";
import type { WorkerMonitor } from "./monitor.js";

/** Longest wait for the queue's lengths during a scrape. */
export const DEPTHS_TIMEOUT_MS = 2000;

/** Task duration buckets, seconds: a quick SQL call up to the task timeout. */
const DURATION_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** The tipo label of a task whose tipo is missing or unknown. */
const INVALID_TIPO = "invalida";
/** The clase label of a task that succeeded. */
const NO_CLASS = "ninguna";

/** Options of `createWorkerMetrics`. */
export interface MetricsOptions {
  events: TypedEmitter<WorkerEvents>;
  monitor: WorkerMonitor;
  /** Where the lengths are read at each scrape. */
  queue: QueueContext;
  worker: string;
  version: string;
  /** `tcp 127.0.0.1:6379`, `rest host`: as in the logs. */
  transport: string;
}

/** A worker's metrics. */
export interface WorkerMetrics {
  registry: Registry;
  /** The exposition text; reads the lengths first (bounded wait). */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * A tipo as a label: one of the known ones or `invalida`, so that a
 * producer's bad tipos cannot grow the series without bound.
 */
function tipoLabel(tipo: string | null): string {
  return tipo !== null && (TIPOS as string[]).includes(tipo)
    ? tipo
    : INVALID_TIPO;
}

/**
 * Creates the metrics and subscribes them to the worker's events.
 * prom-client is loaded here, so commands without metrics never pay for it.
 */
export async function createWorkerMetrics(
  options: MetricsOptions,
): Promise<WorkerMetrics> {
  const { events, monitor } = options;
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } =
    await import("prom-client");
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const tasks = new Counter({
    name: "batchctl_tasks_total",
    help: "Finished attempts by tipo, outcome (procesada, fallida, reintento) and error clase",
    labelNames: ["tipo", "outcome", "clase"],
    registers,
  });
  const retries = new Counter({
    name: "batchctl_task_retries_total",
    help: "Transient failures sent to reintentos (tasks_total with outcome reintento)",
    labelNames: ["tipo"],
    registers,
  });
  const duration = new Histogram({
    name: "batchctl_task_duration_seconds",
    help: "Time from start to outcome of each attempt, by tipo",
    labelNames: ["tipo"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const claimed = new Counter({
    name: "batchctl_tasks_claimed_total",
    help: "Tasks moved into this worker's in-flight list",
    registers,
  });
  const recovered = new Counter({
    name: "batchctl_tasks_recovered_total",
    help: "Tasks of dead workers this worker returned to the queue",
    registers,
  });
  const ticks = new Counter({
    name: "batchctl_schedule_ticks_total",
    help: "Schedule ticks: enqueued (here), duplicate (by another worker), failed, missed",
    labelNames: ["schedule", "result"],
    registers,
  });
  new Gauge({
    name: "batchctl_tasks_in_flight",
    help: "Tasks claimed by this worker whose outcome is not written yet",
    registers,
    collect() {
      this.set(monitor.inFlight);
    },
  });
  new Gauge({
    name: "batchctl_worker_concurrency",
    help: "Tasks this worker runs at once (--concurrency)",
    registers,
    collect() {
      this.set(monitor.concurrency);
    },
  });
  const info = new Gauge({
    name: "batchctl_worker_info",
    help: "Always 1: the worker's id, version and Redis transport",
    labelNames: ["worker", "version", "transport"],
    registers,
  });
  info.set(
    {
      worker: options.worker,
      version: options.version,
      transport: options.transport,
    },
    1,
  );
  const lengths = new Gauge({
    name: "batchctl_queue_length",
    help: "Entries in each list and zset of the queue (procesando: all workers)",
    labelNames: ["list"],
    registers,
  });
  const oldest = new Gauge({
    name: "batchctl_queue_oldest_pending_age_seconds",
    help: "Age of the task at the head of procesar (0 when empty, NaN when it has no encolada_en)",
    registers,
  });
  const workers = new Gauge({
    name: "batchctl_queue_workers",
    help: "Workers registered on the queue",
    registers,
  });
  const readOk = new Gauge({
    name: "batchctl_queue_read_success",
    help: "1 when this scrape read the lengths from Redis, else 0 (the last read is shown)",
    registers,
  });

  events.on("task:claimed", ({ count }) => claimed.inc(count));
  events.on("task:finished", ({ record, outcome }) => {
    const tipo = tipoLabel(record.tipo);
    const clase = record.error?.clase ?? NO_CLASS;
    tasks.inc({ tipo, outcome, clase });
    duration.observe({ tipo }, record.duracion_ms / 1000);
    if (outcome === "reintento") retries.inc({ tipo });
  });
  events.on("worker:recovered", ({ count }) => recovered.inc(count));
  events.on("schedule:tick", ({ name, result }) =>
    ticks.inc({ schedule: name, result }),
  );

  async function readDepths(): Promise<void> {
    try {
      const depths = await withDeadline(
        queueDepths(options.queue),
        DEPTHS_TIMEOUT_MS,
        () => new Error(`Redis did not answer in ${DEPTHS_TIMEOUT_MS} ms`),
      );
      for (const list of LIST_NAMES) lengths.set({ list }, depths.counts[list]);
      const age = depths.oldest_pending_age_ms;
      const isEmpty = depths.counts.procesar === 0;
      oldest.set(isEmpty ? 0 : age === null ? Number.NaN : age / 1000);
      workers.set(depths.workers);
      readOk.set(1);
    } catch {
      // The scrape still answers, with the last lengths read and a 0 here.
      readOk.set(0);
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      await readDepths();
      return registry.metrics();
    },
  };
}
