/**
 * The worker losing PostgreSQL mid-stream: it must not crash, must pause
 * fetching, reconnect by itself, and record every task exactly once in
 * `P:procesadas`, none in `P:fallidas` and none with a counted attempt.
 *
 * The database is taken away only from this file's database (other files
 * share the batch role), in three ways: CONNECT revoked, connection limit
 * 0, and a TCP forwarder that resets and refuses connections.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FUNCTIONS } from "../../../src/common/config.js";
import { createDatabase, type Database } from "../../../src/db/index.js";
import { openBackend, type TestBackend } from "../../helpers/backends.js";
import { createCaptureLogger } from "../../helpers/capture-logger.js";
import {
  connectionEvents,
  pause,
  recordEvents,
  tally,
  watchRun,
} from "../../helpers/outage.js";
import { TEST_BATCH_ROLE, testDatabaseName } from "../../helpers/pg.js";
import {
  createTestQueue,
  readList,
  readRecords,
  waitFor,
} from "../../helpers/redis.js";
import { startTcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.js";
import { createTestWorker, enqueue } from "../../helpers/worker.js";

const DB_NAME = testDatabaseName("worker_conn_pg");
const TICKETS = 200;
/** When the outage starts and how long it lasts, from the worker's start. */
const CUT_AT_MS = 1200;
const OUTAGE_MS = 2500;
/** How long the producer keeps pushing tasks. */
const PRODUCE_MS = 3500;

/** One way of taking the database away from the batch role. */
interface Outage {
  /** Sets up what the outage needs, before the worker connects. */
  prepare?(backend: TestBackend): Promise<void>;
  /** The URL the worker connects with. */
  url(backend: TestBackend): string;
  cut(backend: TestBackend): Promise<void>;
  restore(backend: TestBackend): Promise<void>;
  close?(): Promise<void>;
}

/** Ends the batch role's sessions on this database only. */
async function terminateBatchSessions(backend: TestBackend): Promise<number> {
  const { rows } = await backend.admin.query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
     WHERE datname = $1 AND usename = $2`,
    [DB_NAME, TEST_BATCH_ROLE],
  );
  return rows[0]?.n ?? 0;
}

const revokeConnect: Outage = {
  url: (backend) => backend.batchUrl!,
  async cut(backend) {
    await backend.admin.query(
      `REVOKE CONNECT ON DATABASE ${DB_NAME} FROM PUBLIC, ${TEST_BATCH_ROLE}`,
    );
    await terminateBatchSessions(backend);
  },
  async restore(backend) {
    await backend.admin.query(`GRANT CONNECT ON DATABASE ${DB_NAME} TO PUBLIC`);
  },
};

const connectionLimit: Outage = {
  url: (backend) => backend.batchUrl!,
  async cut(backend) {
    // Superusers are exempt, so the admin connection stays usable.
    await backend.admin.query(`ALTER DATABASE ${DB_NAME} CONNECTION LIMIT 0`);
    await terminateBatchSessions(backend);
  },
  async restore(backend) {
    await backend.admin.query(`ALTER DATABASE ${DB_NAME} CONNECTION LIMIT -1`);
  },
};

function networkCut(): Outage {
  let proxy: TcpProxy | undefined;
  return {
    async prepare(backend) {
      const url = new URL(backend.batchUrl!);
      proxy = await startTcpProxy({
        host: url.hostname,
        port: Number(url.port),
      });
    },
    url(backend) {
      const url = new URL(backend.batchUrl!);
      url.port = String(proxy!.port);
      return url.toString();
    },
    cut: () => proxy!.cut(),
    restore: () => proxy!.restore(),
    close: async () => proxy?.close(),
  };
}

describe("worker losing PostgreSQL", () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await openBackend("postgres", "worker_conn_pg");
  });
  afterAll(async () => {
    // Whatever happened, leave the database connectable for the drop.
    await backend?.admin
      .query(`GRANT CONNECT ON DATABASE ${DB_NAME} TO PUBLIC`)
      .catch(() => undefined);
    await backend?.admin
      .query(`ALTER DATABASE ${DB_NAME} CONNECTION LIMIT -1`)
      .catch(() => undefined);
    await backend?.close();
  });

  it.each([
    ["CONNECT is revoked and its sessions are ended", () => revokeConnect],
    [
      "the connection limit drops to 0 and its sessions end",
      () => connectionLimit,
    ],
    ["the network to PostgreSQL is cut", networkCut],
  ])("finishes every task exactly once when %s", async (name, makeOutage) => {
    const outage: Outage = makeOutage();
    await outage.prepare?.(backend);
    const queue = createTestQueue("conn-pg");
    const poolErrors: string[] = [];
    let db: Database | undefined;
    let restoredAt = 0;
    let cleanup: () => void = () => undefined;
    try {
      db = await createDatabase({
        url: outage.url(backend),
        poolSize: 8,
        onError: (err) => poolErrors.push(err.message),
      });
      const { rows } = await backend.admin.query<{ id: string }>(
        `INSERT INTO tickets.tickets (titulo)
         SELECT 'conexion ' || g FROM generate_series(1, ${TICKETS}) g RETURNING id`,
      );
      const tickets = rows.map((row) => row.id);
      const captured = createCaptureLogger();
      const worker = createTestWorker(queue, db, {
        drain: false,
        concurrency: 4,
        logger: captured.logger,
        logTasks: true,
        ctx: {
          db,
          // reporte_lento sleeps (day / 10) s: a slow task is always in flight.
          functions: {
            ...DEFAULT_FUNCTIONS,
            generar_reporte: "test_fn.reporte_lento",
          },
          redis: queue.transport,
          keys: queue.keys,
        },
      });
      const events = recordEvents(worker);
      const run = watchRun(worker);
      const startedAt = Date.now();
      cleanup = () => {
        if (run.settled) return;
        worker.stop("test failed");
        worker.stop("test failed");
      };

      // The producer: a steady stream of fast tasks plus a slow one now and then.
      const ids: string[] = [];
      const produce = (async () => {
        for (let tick = 0; tickets.length > 0; tick++) {
          const batch = tickets.splice(
            0,
            Math.ceil(TICKETS / (PRODUCE_MS / 100)),
          );
          const tasks: object[] = batch.map((ticket_id) => ({
            tipo: "notificar_ticket_creado",
            ticket_id,
          }));
          if (tick % 4 === 0) {
            tasks.push({
              tipo: "generar_reporte",
              fecha: `2024-01-0${3 + (tick % 5)}`,
            });
          }
          ids.push(...(await enqueue(queue, ...tasks)));
          await pause(100);
        }
      })();

      await pause(CUT_AT_MS);
      const cutAt = Date.now();
      await outage.cut(backend);
      await pause(OUTAGE_MS);
      expect(run.settled, "run() settled during the outage").toBe(false);
      await outage.restore(backend);
      restoredAt = Date.now();
      await produce;

      const processed = () =>
        readRecords<{ id: string }>(queue, queue.keys.processed);
      const failed = () =>
        readRecords<{ id: string; error: unknown }>(queue, queue.keys.failed);
      await waitFor(
        async () =>
          (await processed()).length + (await failed()).length >= ids.length,
        15_000,
        `${ids.length} records`,
      );
      await pause(300);
      expect(run.settled, "run() settled before stop()").toBe(false);

      const done = await processed();
      const lost = await failed();
      const pg = connectionEvents(events, "postgres");
      const finished = events.filter((e) => e.name === "task:finished");
      const retries = finished
        .map(
          (e) =>
            e.payload as {
              outcome: string;
              record: { error?: { codigo?: string } };
            },
        )
        .filter((p) => p.outcome === "reintento");
      const restored = pg.find(
        (e) => e.kind === "restored" && e.at >= restoredAt,
      );
      const firstAfter = finished.find(
        (e) =>
          e.at >= restoredAt &&
          (e.payload as { outcome: string }).outcome === "procesada",
      );
      const lostAt = pg.find((e) => e.kind === "lost")?.at ?? cutAt;
      const claimsWhileDown = events.filter(
        (e) =>
          e.name === "task:claimed" &&
          e.at > lostAt + 200 &&
          e.at < (restored?.at ?? 0),
      ).length;
      console.info(
        JSON.stringify({
          outage: name,
          tasks: ids.length,
          procesadas: done.length,
          fallidas: lost.map((r) => r.error),
          retries: retries.length,
          retryCodes: [...new Set(retries.map((r) => r.record.error?.codigo))],
          pgEvents: pg.map((e) => ({
            kind: e.kind,
            t: e.at - startedAt,
            reason: e.reason,
          })),
          cutAtMs: cutAt - startedAt,
          restoredAtMs: restoredAt - startedAt,
          recoveryMs: restored ? restored.at - restoredAt : null,
          firstProcessedAfterRestoreMs: firstAfter
            ? firstAfter.at - restoredAt
            : null,
          claimsWhileDown,
          poolErrors: poolErrors.length,
          warnings: captured.lines
            .filter((l) => l.level >= 40 && !String(l.msg).startsWith("task "))
            .map((l) => `${l.time - startedAt}ms ${l.msg}`),
        }),
      );

      // Nothing failed, nothing is left over, everything is there exactly once.
      expect(lost.map((r) => r.error)).toEqual([]);
      expect(tally(ids, done)).toEqual({
        missing: [],
        duplicates: {},
        unexpected: [],
      });
      expect(await readList(queue, queue.keys.pending)).toEqual([]);
      expect(await queue.transport.command("ZCARD", queue.keys.retries)).toBe(
        0,
      );
      // The outage was not the tasks' fault: no attempt of theirs was counted.
      const counted = done.filter(
        (r) => (r as { intentos?: number }).intentos !== 1,
      );
      expect(counted).toEqual([]);

      // The outage really hit tasks in flight, and the worker said so.
      expect(retries.length).toBeGreaterThan(0);
      expect(pg.length).toBeGreaterThanOrEqual(2);
      expect(pg[0]?.kind).toBe("lost");
      expect(pg.at(-1)?.kind).toBe("restored");
      expect(
        restored,
        "connection:restored after the database came back",
      ).toBeDefined();
      expect(restored!.at - restoredAt).toBeLessThan(6000);
      expect(claimsWhileDown).toBe(0);
      expect(captured.find("database unreachable").length).toBeGreaterThan(0);
      expect(captured.find("database reachable again").length).toBeGreaterThan(
        0,
      );

      // Each notification reached the database once.
      const { rows: notified } = await backend.admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tickets.notificaciones",
      );
      expect(notified[0]?.n).toBe(TICKETS);

      worker.stop("test done");
      const totals = await run.promise;
      expect(totals).toMatchObject({ processed: ids.length, failed: 0 });
      expect(events.at(-1)?.name).toBe("worker:stopped");
    } finally {
      cleanup();
      if (!restoredAt) await outage.restore(backend).catch(() => undefined);
      await outage.close?.();
      await db?.close();
      await backend.admin.query(
        "TRUNCATE tickets.notificaciones, tickets.tickets",
      );
      await queue.cleanup();
      await queue.transport.close();
    }
  });
});
