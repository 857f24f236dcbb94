/**
 * The worker losing Redis mid-run: a private redis-server (append-only
 * file on) is stopped under a running worker and started again on the same
 * port and directory. The worker must not crash, must reconnect by itself
 * and must finish every task: each id in `P:procesadas`, none lost.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_FUNCTIONS } from "../../../src/common/config.js";
import { createKeys, type QueueContext } from "../../../src/queue/index.js";
import { createTcpTransport } from "../../../src/queue/transports/tcp.js";
import { openBackend, type TestBackend } from "../../helpers/backends.js";
import { createCaptureLogger } from "../../helpers/capture-logger.js";
import {
  connectionEvents,
  pause,
  recordEvents,
  tally,
  watchRun,
} from "../../helpers/outage.js";
import {
  startPrivateRedis,
  type PrivateRedis,
} from "../../helpers/redis-server.js";
import {
  readList,
  readRecords,
  uniquePrefix,
  waitFor,
} from "../../helpers/redis.js";
import { createTestWorker, enqueue } from "../../helpers/worker.js";

/** limpiar_cache tasks; every 10th is followed by a notification, every 19th by a slow one. */
const CACHE_TASKS = 300;
const DB_TASKS = CACHE_TASKS / 10;
/** When Redis goes away, from the worker's start, and for how long. */
const KILL_AT_MS = 700;
const OUTAGE_MS = 1500;

describe("worker losing Redis", () => {
  let backend: TestBackend;
  const servers: PrivateRedis[] = [];

  beforeAll(async () => {
    backend = await openBackend("postgres", "worker_conn_redis");
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
    await backend?.close();
  });

  it.each([
    ["Redis shuts down (SIGTERM) and starts again", "SIGTERM", false],
    [
      "Redis is killed (SIGKILL, fsync always) and starts again",
      "SIGKILL",
      true,
    ],
  ] as const)(
    "finishes every task when %s",
    async (name, signal, fsyncAlways) => {
      const server = await startPrivateRedis({ fsyncAlways });
      servers.push(server);
      const keys = createKeys(uniquePrefix("conn-redis"));
      const transportEvents: { at: number; kind: string; reason?: string }[] =
        [];
      const transport = createTcpTransport({
        url: server.url,
        persistent: true,
        onLost: (reason) =>
          transportEvents.push({ at: Date.now(), kind: "lost", reason }),
        onRestored: () =>
          transportEvents.push({ at: Date.now(), kind: "restored" }),
      });
      const queue: QueueContext = { transport, keys };
      // The test's own connection: producer before, reader after.
      const client: QueueContext = {
        transport: createTcpTransport({ url: server.url, persistent: true }),
        keys,
      };
      const consoleErrors = vi
        .spyOn(console, "error")
        .mockImplementation(() => undefined);
      let stopped = false;
      const captured = createCaptureLogger();
      const worker = createTestWorker(queue, backend.db, {
        drain: false,
        concurrency: 4,
        logger: captured.logger,
        ctx: {
          db: backend.db,
          // reporte_lento sleeps (day / 10) s: 2024-01-05 takes 0.5 s.
          functions: {
            ...DEFAULT_FUNCTIONS,
            generar_reporte: "test_fn.reporte_lento",
          },
          redis: transport,
          keys,
        },
      });
      try {
        const { rows } = await backend.admin.query<{ id: string }>(
          `INSERT INTO tickets.tickets (titulo)
         SELECT 'redis ' || g FROM generate_series(1, ${DB_TASKS}) g RETURNING id`,
        );
        const cacheKeys = Array.from(
          { length: CACHE_TASKS },
          (_, i) => `cache_${keys.prefix.replace(/:/g, "_")}:${i}`,
        );
        await client.transport.command(
          "MSET",
          ...cacheKeys.flatMap((key) => [key, "x"]),
        );
        const tasks: object[] = [];
        for (let i = 0; i < CACHE_TASKS; i++) {
          tasks.push({ tipo: "limpiar_cache", claves: [cacheKeys[i]] });
          if (i % 10 === 0) {
            tasks.push({
              tipo: "notificar_ticket_creado",
              ticket_id: rows[i / 10]!.id,
            });
          }
          if (i % 19 === 0)
            tasks.push({ tipo: "generar_reporte", fecha: "2024-01-05" });
        }
        const ids = await enqueue(client, ...tasks);

        const events = recordEvents(worker);
        const run = watchRun(worker);
        const startedAt = Date.now();

        await pause(KILL_AT_MS);
        const processedBefore = await client.transport.command<number>(
          "LLEN",
          keys.processed,
        );
        const killedAt = Date.now();
        await server.stop(signal);
        await pause(OUTAGE_MS);
        expect(run.settled, "run() settled while Redis was down").toBe(false);
        await server.start();
        const restartedAt = Date.now();

        const records = () =>
          readRecords<{ id: string }>(client, keys.processed);
        const failed = () =>
          readRecords<{ id: string; error: unknown }>(client, keys.failed);
        const leftOver = async () => {
          const [pending, retries, inFlight] = await client.transport.pipeline([
            ["LLEN", keys.pending],
            ["ZCARD", keys.retries],
            ["LLEN", keys.inFlight(workerId(events))],
          ]);
          return { pending, retries, inFlight };
        };
        let lastSeen = "";
        const finished = await waitFor(
          async () => {
            const seen = new Set(
              [...(await records()), ...(await failed())].map((r) => r.id),
            );
            const left = await leftOver();
            lastSeen = JSON.stringify({
              recorded: seen.size,
              of: ids.length,
              ...left,
            });
            return (
              seen.size >= ids.length &&
              Object.values(left).every((n) => n === 0)
            );
          },
          15_000,
          "every task recorded",
        ).then(
          () => true,
          () => false,
        );
        const done = await records();
        const lost = await failed();
        const firstAfter = events.find(
          (e) => e.name === "task:finished" && e.at >= restartedAt,
        );
        const result = tally(ids, done);
        console.info(
          JSON.stringify({
            outage: name,
            tasks: ids.length,
            processedBeforeKill: processedBefore,
            procesadas: done.length,
            fallidas: lost.map((r) => r.error),
            missing: result.missing.length,
            duplicates: Object.keys(result.duplicates).length,
            state: lastSeen,
            killedAtMs: killedAt - startedAt,
            restartedAtMs: restartedAt - startedAt,
            transportEvents: transportEvents.map((e) => ({
              ...e,
              at: e.at - startedAt,
            })),
            workerRedisEvents: connectionEvents(events, "redis").length,
            firstTaskAfterRestartMs: firstAfter
              ? firstAfter.at - restartedAt
              : null,
            consoleErrors: consoleErrors.mock.calls.map((c) =>
              String(c[0]).slice(0, 120),
            ),
            warnings: captured.lines
              .filter((l) => l.level >= 40)
              .map((l) => `${l.time - startedAt}ms ${l.msg}`),
          }),
        );

        expect(run.settled, "run() settled before stop()").toBe(false);
        expect(
          finished,
          `every task recorded, nothing left over: ${lastSeen}`,
        ).toBe(true);
        expect(result.missing).toEqual([]);
        expect(result.unexpected).toEqual([]);
        expect(lost.map((r) => r.error)).toEqual([]);
        expect(processedBefore, "the outage came mid-run").toBeGreaterThan(0);
        expect(processedBefore).toBeLessThan(ids.length);
        // Every cache key was deleted: each limpiar_cache really ran.
        expect(await client.transport.command("EXISTS", ...cacheKeys)).toBe(0);
        // The transport noticed the outage and the recovery.
        expect(transportEvents.map((e) => e.kind)).toEqual([
          "lost",
          "restored",
        ]);

        worker.stop("test done");
        stopped = true;
        const totals = await run.promise;
        expect(totals.failed).toBe(0);
        expect(totals.processed).toBe(done.length);
        expect(await leftOver()).toEqual({
          pending: 0,
          retries: 0,
          inFlight: 0,
        });
        expect(
          await client.transport.command("SMEMBERS", keys.workers),
        ).toEqual([]);
      } finally {
        consoleErrors.mockRestore();
        if (!stopped) {
          worker.stop("test failed");
          worker.stop("test failed");
        }
        if (!server.isRunning) await server.start().catch(() => undefined);
        await transport.close();
        await client.transport.close();
        await backend.admin.query(
          "TRUNCATE tickets.notificaciones, tickets.tickets",
        );
        await server.destroy();
      }
    },
  );

  it("keeps an idle worker (blocked on BLMOVE) alive and takes tasks after a restart", async () => {
    const server = await startPrivateRedis();
    servers.push(server);
    const keys = createKeys(uniquePrefix("conn-redis-idle"));
    const transportEvents: string[] = [];
    const transport = createTcpTransport({
      url: server.url,
      persistent: true,
      onLost: () => transportEvents.push("lost"),
      onRestored: () => transportEvents.push("restored"),
    });
    const client = createTcpTransport({ url: server.url, persistent: true });
    const queue: QueueContext = { transport, keys };
    const consoleErrors = vi
      .spyOn(console, "error")
      .mockImplementation(() => undefined);
    const captured = createCaptureLogger();
    const worker = createTestWorker(queue, backend.db, {
      drain: false,
      logger: captured.logger,
    });
    try {
      const run = watchRun(worker);
      await pause(500);
      await server.stop("SIGTERM");
      await pause(OUTAGE_MS);
      expect(run.settled, "run() settled while Redis was down").toBe(false);
      await server.start();
      const restartedAt = Date.now();

      const claves = Array.from(
        { length: 20 },
        (_, i) => `cache_idle_${keys.prefix}_${i}`,
      );
      const ids = await enqueue(
        { transport: client, keys },
        ...claves.map((clave) => ({ tipo: "limpiar_cache", claves: [clave] })),
      );
      await waitFor(
        async () =>
          (await readList({ transport: client, keys }, keys.processed))
            .length >= 20,
        10_000,
        "20 tasks enqueued after the restart",
      );
      const done = await readRecords<{ id: string }>(
        { transport: client, keys },
        keys.processed,
      );
      console.info(
        JSON.stringify({
          outage: "idle worker",
          doneAfterRestartMs: Date.now() - restartedAt,
          consoleErrors: consoleErrors.mock.calls.map((c) =>
            String(c[0]).slice(0, 160),
          ),
          logs: captured.lines.filter((l) => l.level >= 40).map((l) => l.msg),
        }),
      );
      expect(tally(ids, done)).toEqual({
        missing: [],
        duplicates: {},
        unexpected: [],
      });
      expect(run.settled).toBe(false);
      expect(transportEvents).toEqual(["lost", "restored"]);

      worker.stop("test done");
      await expect(run.promise).resolves.toMatchObject({
        processed: 20,
        failed: 0,
      });
      // Connection errors reach the owner through onLost and the logger; none
      // may go to the console as "[ioredis] Unhandled error event" (the
      // blocking BLMOVE connection is a separate ioredis client).
      const unhandled = consoleErrors.mock.calls.filter((call) =>
        String(call[0]).includes("Unhandled error event"),
      );
      expect(unhandled.length, "ioredis errors printed to the console").toBe(0);
    } finally {
      consoleErrors.mockRestore();
      worker.stop("cleanup");
      if (!server.isRunning) await server.start().catch(() => undefined);
      await transport.close();
      await client.close();
      await server.destroy();
    }
  });

  it("stops within the shutdown timeout while Redis is down, losing no task", async () => {
    const server = await startPrivateRedis({ fsyncAlways: true });
    servers.push(server);
    const keys = createKeys(uniquePrefix("conn-redis-stop"));
    const transport = createTcpTransport({ url: server.url, persistent: true });
    const client: QueueContext = {
      transport: createTcpTransport({ url: server.url, persistent: true }),
      keys,
    };
    const shutdownTimeoutMs = 1000;
    const captured = createCaptureLogger();
    const worker = createTestWorker({ transport, keys }, backend.db, {
      drain: false,
      concurrency: 4,
      shutdownTimeoutMs,
      logger: captured.logger,
      ctx: {
        db: backend.db,
        functions: {
          ...DEFAULT_FUNCTIONS,
          generar_reporte: "test_fn.reporte_lento",
        },
        redis: transport,
        keys,
      },
    });
    try {
      const ids = await enqueue(
        client,
        ...Array.from({ length: 8 }, () => ({
          tipo: "generar_reporte",
          fecha: "2024-01-05",
        })),
      );
      const events = recordEvents(worker);
      const run = watchRun(worker);
      await pause(200);
      await server.stop("SIGKILL");
      await pause(200);
      const stoppedAt = Date.now();
      worker.stop("SIGTERM during the outage");
      await waitFor(
        () => run.settled,
        shutdownTimeoutMs + 3000,
        "run() to settle",
      ).catch(() => undefined);
      const settledWhileDown = run.settled;
      const settleMs = Date.now() - stoppedAt;

      // Bring Redis back: whatever the worker did, every task must be somewhere.
      await server.start();
      await waitFor(
        () => run.settled,
        10_000,
        "run() to settle once Redis is back",
      );
      // One atomic snapshot: the worker's queued writes may land meanwhile,
      // and a task must be in exactly one of these lists at every instant.
      const [records, pending, inFlight] = (await client.transport.transaction([
        ["LRANGE", keys.processed, 0, -1],
        ["LRANGE", keys.pending, 0, -1],
        ["LRANGE", keys.inFlight(workerId(events)), 0, -1],
      ])) as string[][];
      const processed = records!.map(
        (raw) => JSON.parse(raw) as { id: string },
      );
      console.info(
        JSON.stringify({
          outage: "stop while Redis is down",
          settledWhileDown,
          settleMs,
          processed: processed.length,
          pending: pending!.length,
          inFlight: inFlight!.length,
          logs: captured.lines.filter((l) => l.level >= 40).map((l) => l.msg),
        }),
      );
      // In-flight tasks are not lost: a live worker returns them to the queue
      // once this worker's heartbeat has expired.
      const queued = [...pending!, ...inFlight!].map(
        (raw) => JSON.parse(raw) as { id: string },
      );
      const where = tally(ids, [...processed, ...queued]);
      expect(where.missing).toEqual([]);
      expect(
        settledWhileDown,
        `run() settled ${settleMs} ms after stop()`,
      ).toBe(true);
    } finally {
      worker.stop("cleanup");
      if (!server.isRunning) await server.start().catch(() => undefined);
      await transport.close();
      await client.transport.close();
      await server.destroy();
    }
  });
});

/** The worker's id, from its `worker:started` event. */
function workerId(events: ReturnType<typeof recordEvents>): string {
  const started = events.find((e) => e.name === "worker:started");
  return (started?.payload as { worker: string } | undefined)?.worker ?? "";
}
