/**
 * `batchctl work --metrics-port 0` as a user runs it, on a Redis of its
 * own: after a known mix of tasks /metrics counts each outcome, and
 * /readyz turns unready while that Redis is stopped and ready once it is
 * back, while /healthz stays up.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKeys,
  enqueueTasks,
  pause,
  resume,
  type QueueContext,
} from "../../src/queue/index.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";
import { openBackend, type TestBackend } from "../helpers/backends.js";
import { exitWithin, startCli, type CliProcess } from "../helpers/e2e.js";
import {
  httpGet,
  loggedMetricsPort,
  metricValue,
  parseMetrics,
  type Sample,
} from "../helpers/metrics.js";
import {
  startPrivateRedis,
  type PrivateRedis,
} from "../helpers/redis-server.js";
import { readList, uniquePrefix, waitFor } from "../helpers/redis.js";
import { pushRaw } from "../helpers/worker.js";

/** reporte_inestable fails (40001) until its second call for this day. */
const FLAKY_DAY = "2024-01-02";

describe("batchctl work --metrics-port", () => {
  let redis: PrivateRedis;
  let backend: TestBackend;
  let queue: QueueContext;
  let worker: CliProcess;
  let port = 0;

  const scrape = async (): Promise<Sample[]> => {
    const { status, body } = await httpGet(port, "/metrics");
    expect(status).toBe(200);
    return parseMetrics(body);
  };
  const tasks = (samples: Sample[], labels: Record<string, string>) =>
    metricValue(samples, "batchctl_tasks_total", labels);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    backend = await openBackend("postgres", "e2e_work_metrics", 1);
    await backend.admin.query(
      `CREATE SEQUENCE test_fn.llamadas_${FLAKY_DAY.replaceAll("-", "")}`,
    );
    queue = {
      transport: createTcpTransport({ url: redis.url, persistent: true }),
      keys: createKeys(uniquePrefix("e2e-metrics")),
    };
    worker = startCli(
      [
        "work",
        "--metrics-port",
        "0",
        "--retry-base",
        "10",
        "--retry-max",
        "50",
      ],
      {
        REDIS_URL: redis.url,
        BATCH_QUEUE_PREFIX: queue.keys.prefix,
        DATABASE_URL_BATCH: backend.batchUrl,
        BATCH_FN_GENERAR_REPORTE: "test_fn.reporte_inestable",
      },
    );
    await waitFor(
      () => (port = loggedMetricsPort(worker.lines) ?? 0) > 0,
      20_000,
      "the worker to log its metrics port",
    );
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await queue?.transport.close();
    await backend?.close();
    await redis?.destroy();
  });

  it("counts each outcome of a known mix of tasks", async () => {
    await enqueueTasks(queue, [
      { tipo: "procesar_tickets_vencidos" },
      { tipo: "procesar_tickets_vencidos" },
      { tipo: "limpiar_cache", claves: ["cache:metrics"] },
      { tipo: "notificar_ticket_creado", ticket_id: randomUUID() },
      { tipo: "generar_reporte", fecha: FLAKY_DAY },
    ]);
    await pushRaw(queue, '{"tipo":"bogus"}');

    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await scrape();
        const done = samples
          .filter((s) => s.name === "batchctl_tasks_total")
          .reduce((sum, s) => sum + s.value, 0);
        // A scrape reads the lengths before it counts: the last outcome
        // may land in between, so wait for a scrape that saw it too.
        const recorded = ["procesadas", "fallidas"]
          .map((list) =>
            metricValue(samples, "batchctl_queue_length", { list }),
          )
          .reduce((sum: number, n) => sum + (n ?? 0), 0);
        return done >= 7 && recorded >= 6;
      },
      20_000,
      "seven finished attempts and six records in /metrics",
    );

    const ok = { outcome: "procesada", clase: "ninguna" };
    expect(tasks(samples, { tipo: "procesar_tickets_vencidos", ...ok })).toBe(
      2,
    );
    expect(tasks(samples, { tipo: "limpiar_cache", ...ok })).toBe(1);
    expect(tasks(samples, { tipo: "generar_reporte", ...ok })).toBe(1);
    expect(
      tasks(samples, {
        tipo: "generar_reporte",
        outcome: "reintento",
        clase: "transitorio",
      }),
    ).toBe(1);
    expect(
      tasks(samples, {
        tipo: "notificar_ticket_creado",
        outcome: "fallida",
        clase: "permanente",
      }),
    ).toBe(1);
    expect(
      tasks(samples, {
        tipo: "invalida",
        outcome: "fallida",
        clase: "validacion",
      }),
    ).toBe(1);
    expect(
      samples.filter((s) => s.name === "batchctl_tasks_total"),
    ).toHaveLength(6);
    expect(
      metricValue(samples, "batchctl_task_retries_total", {
        tipo: "generar_reporte",
      }),
    ).toBe(1);
    expect(
      metricValue(samples, "batchctl_task_duration_seconds_count", {
        tipo: "generar_reporte",
      }),
    ).toBe(2);
    expect(metricValue(samples, "batchctl_tasks_claimed_total")).toBe(7);
    expect(metricValue(samples, "batchctl_tasks_in_flight")).toBe(0);
    const length = (list: string) =>
      metricValue(samples, "batchctl_queue_length", { list });
    expect(
      [
        "procesar",
        "procesando",
        "reintentos",
        "programadas",
        "procesadas",
        "fallidas",
      ].map(length),
    ).toEqual([0, 0, 0, 0, 4, 2]);
    expect(metricValue(samples, "batchctl_queue_read_success")).toBe(1);
    const info = samples.find((s) => s.name === "batchctl_worker_info");
    expect(info?.labels).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      transport: `tcp 127.0.0.1:${redis.port}`,
    });
    expect(info?.labels.worker).toMatch(/^[\w.-]+-\d+-[0-9a-f]{6}$/);
    expect(
      metricValue(samples, "process_resident_memory_bytes"),
    ).toBeGreaterThan(0);
  });

  it("shows the age of the oldest pending task while paused", async () => {
    await pause(queue, { origin: "test" });
    const enqueuedAt = new Date(Date.now() - 120_000).toISOString();
    await enqueueTasks(queue, [
      { tipo: "procesar_tickets_vencidos", encolada_en: enqueuedAt },
    ]);

    try {
      // A blocking claim under way when the pause came may hold the task
      // for a moment before it puts it back: wait for it in procesar.
      let samples: Sample[] = [];
      await waitFor(
        async () =>
          metricValue((samples = await scrape()), "batchctl_queue_length", {
            list: "procesar",
          }) === 1,
        20_000,
        "the paused task in procesar",
      );
      const age = metricValue(
        samples,
        "batchctl_queue_oldest_pending_age_seconds",
      );
      expect(age).toBeGreaterThanOrEqual(120);
      expect(age).toBeLessThan(600);
    } finally {
      await resume(queue, { origin: "test" });
    }
  });

  it("is unready while its Redis is stopped and ready again once it is back", async () => {
    const ready = () => httpGet(port, "/readyz");
    expect((await ready()).status).toBe(200);

    await redis.stop();
    let report: { status: number; body: string } = { status: 0, body: "" };
    await waitFor(
      async () => (report = await ready()).status !== 200,
      15_000,
      "/readyz to turn unready",
    );
    expect(report.status).toBe(503);
    expect(JSON.parse(report.body)).toMatchObject({
      ready: false,
      checks: { redis: { ok: false }, postgres: { ok: true } },
    });
    expect((await httpGet(port, "/healthz")).status).toBe(200);
    const during = parseMetrics((await httpGet(port, "/metrics")).body);
    expect(metricValue(during, "batchctl_queue_read_success")).toBe(0);

    await redis.start();
    await waitFor(
      async () => (await ready()).status === 200,
      20_000,
      "/readyz to be ready again",
    );
    const [task] = await enqueueTasks(queue, [
      { tipo: "procesar_tickets_vencidos" },
    ]);
    await waitFor(
      async () =>
        (await readList(queue, queue.keys.processed)).some(
          (raw) => JSON.parse(raw).id === task!.id,
        ),
      20_000,
      "a task processed after the outage",
    );
    expect(metricValue(await scrape(), "batchctl_queue_read_success")).toBe(1);
  });

  it("answers 404 elsewhere and stops with the worker on SIGTERM", async () => {
    expect((await httpGet(port, "/nope")).status).toBe(404);

    worker.child.kill("SIGTERM");
    const exit = await exitWithin(worker, 15_000);

    expect(exit?.code).toBe(0);
    await expect(httpGet(port, "/healthz")).rejects.toThrow(/ECONNREFUSED/);
  });
});
