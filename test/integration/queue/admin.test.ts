/**
 * Operator actions on real Redis: retry, delete, purge, purge-cache,
 * pause/resume, the audit list, scheduled enqueue and waiting for a record,
 * over both transports.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TimeoutError, UsageError } from "../../../src/common/errors.js";
import {
  AUDIT_CAP,
  appendAudit,
  ConfirmationError,
  createWorkerQueue,
  deleteRecords,
  enqueueTasks,
  pause,
  purgeCacheNow,
  purgeList,
  queueCachePurge,
  readAudit,
  readPause,
  resume,
  retryFailed,
  waitForRecord,
  watchForRecord,
  type QueueContext,
} from "../../../src/queue/index.js";
import {
  createTestQueue,
  readList,
  TRANSPORTS,
  waitFor,
} from "../../helpers/redis.js";

/** A failure record as the worker writes it, for a task of `tipo`. */
function failureRecord(
  overrides: Record<string, unknown> = {},
  tipo = "generar_reporte",
) {
  const id = randomUUID();
  return {
    id,
    tipo,
    tarea: { tipo, fecha: "2024-01-15", id, intentos: 4 },
    intentos: 5,
    encolada_en: "2026-01-01T00:00:00.000Z",
    iniciada_en: "2026-01-01T00:00:01.000Z",
    terminada_en: "2026-01-01T00:00:02.000Z",
    duracion_ms: 1000,
    worker: "w1",
    error: { mensaje: "boom", clase: "transitorio" },
    ...overrides,
  };
}

describe.each(TRANSPORTS)("operator actions over %s", (kind) => {
  const queue = createTestQueue("admin", kind);
  const { transport, keys } = queue;

  afterEach(() => queue.cleanup());
  afterAll(() => transport.close());

  /** Pushes records to the head of fallidas, as workers do (newest first). */
  async function fail(...records: object[]): Promise<void> {
    for (let i = 0; i < records.length; i += 1000) {
      const chunk = records.slice(i, i + 1000).map((r) => JSON.stringify(r));
      await transport.command("LPUSH", keys.failed, ...chunk);
    }
  }

  const pending = async () =>
    (await readList(queue, keys.pending)).map((raw) => JSON.parse(raw));
  const failedIds = async () =>
    (await readList(queue, keys.failed)).map((raw) => JSON.parse(raw).id);
  const auditCommands = async () =>
    (await readAudit(queue, { limit: 100 })).map((e) => [e.command, e.count]);

  describe("retryFailed", () => {
    it("moves a record back as its task: same id, attempts reset", async () => {
      const record = failureRecord();
      await fail(record);

      const result = await retryFailed(queue, { ids: [record.id] });

      expect(result).toEqual({
        moved: 1,
        dryRun: false,
        skipped: {},
        notFound: [],
      });
      expect(await pending()).toEqual([
        { tipo: "generar_reporte", fecha: "2024-01-15", id: record.id },
      ]);
      expect(await failedIds()).toEqual([]);
      expect(await auditCommands()).toEqual([["retry", 1]]);
    });

    it("gives a task that came without id the record's id", async () => {
      const record = failureRecord({
        tarea: { tipo: "procesar_tickets_vencidos" },
      });
      await fail(record);

      await retryFailed(queue, { all: true });

      expect(await pending()).toEqual([
        { tipo: "procesar_tickets_vencidos", id: record.id },
      ]);
    });

    it("moves each of 1,000 records exactly once when two retries race", async () => {
      const records = Array.from({ length: 1000 }, () => failureRecord());
      await fail(...records);
      // A second connection of the same kind, on the same keys.
      const other = createTestQueue("admin-second", kind);
      const second: QueueContext = { transport: other.transport, keys };

      try {
        const [a, b] = await Promise.all([
          retryFailed(queue, { all: true }),
          retryFailed(second, { all: true }),
        ]);

        expect(a.moved + b.moved).toBe(1000);
      } finally {
        await other.transport.close();
      }
      const ids = (await pending()).map((task) => task.id as string);
      expect(ids).toHaveLength(1000);
      expect(new Set(ids)).toEqual(new Set(records.map((r) => r.id)));
      expect(await failedIds()).toEqual([]);
    });

    it("takes exactly the matching records from deep in a long list", async () => {
      // Alternating tipos: every window keeps half, so takes land at
      // growing distances from the tail.
      const records = Array.from({ length: 2400 }, (_, i) =>
        failureRecord({}, i % 2 ? "limpiar_cache" : "generar_reporte"),
      );
      await fail(...records);

      const result = await retryFailed(queue, { tipo: "generar_reporte" });

      expect(result.moved).toBe(1200);
      const expectedLeft = records
        .filter((r) => r.tipo === "limpiar_cache")
        .map((r) => r.id)
        .reverse();
      expect(await failedIds()).toEqual(expectedLeft);
      const movedOldestFirst = records
        .filter((r) => r.tipo === "generar_reporte")
        .map((r) => r.id);
      expect((await pending()).map((t) => t.id)).toEqual(movedOldestFirst);
    });

    it("is not confused by failures recorded while it runs", async () => {
      const records = Array.from({ length: 3000 }, () => failureRecord());
      await fail(...records);
      const newcomers = Array.from({ length: 300 }, () =>
        failureRecord({}, "limpiar_cache"),
      );

      const [result] = await Promise.all([
        retryFailed(queue, { tipo: "generar_reporte" }),
        (async () => {
          for (const record of newcomers) await fail(record);
        })(),
      ]);

      expect(result.moved).toBe(3000);
      expect(new Set(await failedIds())).toEqual(
        new Set(newcomers.map((r) => r.id)),
      );
      expect(await pending()).toHaveLength(3000);
    });

    it("moves the oldest failures first up to --limit", async () => {
      const records = Array.from({ length: 5 }, () => failureRecord());
      await fail(...records);

      const result = await retryFailed(queue, { all: true, limit: 2 });

      expect(result.moved).toBe(2);
      expect((await pending()).map((t) => t.id)).toEqual(
        records.slice(0, 2).map((r) => r.id),
      );
      expect(await failedIds()).toHaveLength(3);
    });

    it("changes nothing on a dry run and writes no audit entry", async () => {
      await fail(
        failureRecord(),
        failureRecord({ crudo: "nope", tarea: undefined }),
      );

      const result = await retryFailed(queue, { all: true, dryRun: true });

      expect(result).toMatchObject({ moved: 1, dryRun: true });
      expect(result.skipped).toEqual({ not_json: 1 });
      expect(await failedIds()).toHaveLength(2);
      expect(await pending()).toEqual([]);
      expect(await auditCommands()).toEqual([]);
    });

    it("skips raw and non-object tasks unless forced, truncated ones always", async () => {
      const raw = failureRecord({
        tarea: undefined,
        tipo: null,
        crudo: "not json",
      });
      const array = failureRecord({ tarea: [1, 2], tipo: null });
      const cut = failureRecord({
        tarea: undefined,
        tipo: null,
        crudo: "x".repeat(10),
        crudo_bytes: 70_000,
      });
      await fail(raw, array, cut);

      const plain = await retryFailed(queue, { all: true });
      expect(plain).toMatchObject({
        moved: 0,
        skipped: { not_json: 1, not_object: 1, truncated: 1 },
      });

      const forced = await retryFailed(queue, { all: true, force: true });
      expect(forced).toMatchObject({ moved: 2, skipped: { truncated: 1 } });
      expect(await readList(queue, keys.pending)).toEqual([
        "not json",
        "[1,2]",
      ]);
      expect(await failedIds()).toEqual([cut.id]);
    });

    it("filters by tipo and reports ids it did not find", async () => {
      const report = failureRecord();
      const cache = failureRecord({}, "limpiar_cache");
      await fail(report, cache);

      const result = await retryFailed(queue, {
        ids: [report.id, cache.id, "missing-id"],
        tipo: "limpiar_cache",
      });

      expect(result.moved).toBe(1);
      expect((await pending()).map((t) => t.id)).toEqual([cache.id]);
      expect(result.notFound.sort()).toEqual(["missing-id", report.id].sort());
    });

    it("refuses to run without a selection or with a bad limit", async () => {
      await expect(retryFailed(queue, {})).rejects.toThrow(UsageError);
      await expect(retryFailed(queue, { all: true, limit: 0 })).rejects.toThrow(
        /--limit/,
      );
    });
  });

  describe("deleteRecords", () => {
    it("removes entries by id from lists and zsets and reports the rest", async () => {
      const [task] = await enqueueTasks(queue, [
        { tipo: "procesar_tickets_vencidos" },
      ]);
      const [later] = await enqueueTasks(
        queue,
        [{ tipo: "procesar_tickets_vencidos" }],
        { dueAt: Date.now() + 60_000 },
      );
      const record = failureRecord();
      const keep = failureRecord();
      await fail(record, keep);

      const result = await deleteRecords(queue, [
        task!.id!,
        later!.id!,
        record.id,
        "missing-id",
      ]);

      expect(result).toEqual({
        deleted: 3,
        byList: { procesar: 1, programadas: 1, fallidas: 1 },
        notFound: ["missing-id"],
      });
      expect(await pending()).toEqual([]);
      expect(await transport.command("ZCARD", keys.scheduled)).toBe(0);
      expect(await failedIds()).toEqual([keep.id]);
      expect(await auditCommands()).toEqual([["delete", 3]]);
    });

    it("looks only in --from", async () => {
      const record = failureRecord();
      await fail(record);

      const result = await deleteRecords(queue, [record.id], {
        from: "procesadas",
      });

      expect(result).toMatchObject({ deleted: 0, notFound: [record.id] });
      expect(await failedIds()).toEqual([record.id]);
    });

    it("never deletes from an in-flight list", async () => {
      await expect(
        deleteRecords(queue, ["x"], { from: "procesando" }),
      ).rejects.toThrow(/in-flight/);
    });
  });

  describe("purgeList", () => {
    it("refuses more than one entry without yes, saying how many", async () => {
      await fail(failureRecord(), failureRecord(), failureRecord());

      const refused = await purgeList(queue, "fallidas").catch((e) => e);

      expect(refused).toBeInstanceOf(ConfirmationError);
      expect(refused.count).toBe(3);
      expect(refused.message).toMatch(/would remove 3 entries; add --yes/);
      expect(await failedIds()).toHaveLength(3);
      expect(await auditCommands()).toEqual([]);
    });

    it("removes everything with yes and records it in the same step", async () => {
      await fail(failureRecord(), failureRecord(), failureRecord());

      expect(await purgeList(queue, "fallidas", { yes: true })).toBe(3);

      expect(await failedIds()).toEqual([]);
      const [entry] = await readAudit(queue);
      expect(entry).toMatchObject({
        command: "purge",
        count: 3,
        detail: "fallidas",
        origin: "cli",
      });
    });

    it("removes a single entry without yes, and purges zsets", async () => {
      await enqueueTasks(queue, [{ tipo: "procesar_tickets_vencidos" }]);
      await enqueueTasks(
        queue,
        [
          { tipo: "procesar_tickets_vencidos" },
          { tipo: "procesar_tickets_vencidos" },
        ],
        { dueAt: Date.now() + 60_000 },
      );

      expect(await purgeList(queue, "procesar")).toBe(1);
      expect(await purgeList(queue, "programadas", { yes: true })).toBe(2);
      expect(await purgeList(queue, "programadas")).toBe(0);
    });

    it("refuses in-flight lists and unknown names", async () => {
      await expect(
        purgeList(queue, "procesando", { yes: true }),
      ).rejects.toThrow(UsageError);
      await expect(purgeList(queue, "workers", { yes: true })).rejects.toThrow(
        /unknown list "workers"/,
      );
    });
  });

  describe("cache purges", () => {
    const cacheKey = (name: string) => `test-cache:${keys.prefix}:${name}`;

    afterEach(async () => {
      await transport.command("DEL", cacheKey("a"), cacheKey("b"));
    });

    it("deletes exact keys now and says how many existed", async () => {
      await transport.command("SET", cacheKey("a"), "1");
      await transport.command("SET", cacheKey("b"), "1");

      const result = await purgeCacheNow(queue, [
        cacheKey("a"),
        cacheKey("b"),
        cacheKey("c"),
      ]);

      expect(result).toEqual({ claves: 3, borradas: 2 });
      expect(await transport.command("EXISTS", cacheKey("a"))).toBe(0);
      expect(await auditCommands()).toEqual([["purge-cache", 2]]);
    });

    it("counts a key named twice once", async () => {
      await transport.command("SET", cacheKey("a"), "1");

      const result = await purgeCacheNow(queue, [cacheKey("a"), cacheKey("a")]);

      expect(result).toEqual({ claves: 1, borradas: 1 });
    });

    it("refuses keys of the queue itself, now or queued", async () => {
      await enqueueTasks(queue, [{ tipo: "procesar_tickets_vencidos" }]);

      await expect(purgeCacheNow(queue, [keys.pending])).rejects.toThrow(
        /claves.0: is a key of the queue itself/,
      );
      await expect(queueCachePurge(queue, ["ok", keys.failed])).rejects.toThrow(
        /claves.1/,
      );
      expect(await pending()).toHaveLength(1);
    });

    it("queues a limpiar_cache task", async () => {
      const task = await queueCachePurge(queue, [cacheKey("a")]);

      expect(await pending()).toEqual([
        expect.objectContaining({
          id: task.id,
          tipo: "limpiar_cache",
          claves: [cacheKey("a")],
        }),
      ]);
    });
  });

  describe("pause and resume", () => {
    const workerQueue = () =>
      createWorkerQueue({ transport, keys, worker: "pause-test" });

    it("makes claims return nothing until resumed", async () => {
      await enqueueTasks(queue, [{ tipo: "procesar_tickets_vencidos" }]);

      const state = await pause(queue);
      expect(state).toMatchObject({
        isPaused: true,
        by: expect.stringContaining("@"),
      });
      expect(await workerQueue().claim(10)).toBeNull();

      expect(await resume(queue)).toBe(true);
      expect(await workerQueue().claim(10)).toHaveLength(1);
      expect(await resume(queue)).toBe(false);
      expect(await auditCommands()).toEqual([
        ["resume", 0],
        ["resume", 1],
        ["pause", 1],
      ]);
    });

    it("ends by itself when given a duration", async () => {
      await pause(queue, { forMs: 300 });

      const state = await readPause(queue);
      expect(state.isPaused).toBe(true);
      expect(state.remainingMs).toBeGreaterThan(0);
      expect(state.remainingMs).toBeLessThanOrEqual(300);
      await waitFor(
        async () => !(await readPause(queue)).isPaused,
        5000,
        "expiry",
      );
      expect(await workerQueue().claim(1)).toEqual([]);
    });

    it("refuses a duration that is not positive", async () => {
      await expect(pause(queue, { forMs: 0 })).rejects.toThrow(/--for/);
    });
  });

  describe("audit list", () => {
    it("lists newest first and keeps at most AUDIT_CAP entries", async () => {
      const commands = Array.from({ length: AUDIT_CAP + 5 }, (_, i) => [
        "LPUSH",
        keys.audit,
        JSON.stringify({ command: "old", count: i }),
      ]) as [string, string, string][];
      await transport.pipeline(commands);
      await appendAudit(queue, { command: "retry", count: 7, detail: "--all" });

      const [newest, next] = await readAudit(queue, { limit: 2 });

      expect(newest).toMatchObject({
        command: "retry",
        count: 7,
        detail: "--all",
      });
      expect(newest!.user).not.toBe("");
      expect(Date.parse(newest!.when)).not.toBeNaN();
      expect(next).toMatchObject({ command: "old", count: AUDIT_CAP + 4 });
      expect(await transport.command("LLEN", keys.audit)).toBe(AUDIT_CAP);
    });
  });

  describe("enqueueTasks", () => {
    it("schedules into programadas at the due time, all or none", async () => {
      const dueAt = Date.now() + 3_600_000;
      const tasks = await enqueueTasks(
        queue,
        [
          { tipo: "procesar_tickets_vencidos" },
          { tipo: "limpiar_cache", claves: ["k"] },
        ],
        { dueAt },
      );

      const members = await transport.command<string[]>(
        "ZRANGE",
        keys.scheduled,
        0,
        -1,
        "WITHSCORES",
      );
      expect(members.filter((_, i) => i % 2 === 1)).toEqual([
        String(dueAt),
        String(dueAt),
      ]);
      expect(tasks.map((t) => t.id).sort()).toEqual(
        members
          .filter((_, i) => i % 2 === 0)
          .map((m) => JSON.parse(m).id)
          .sort(),
      );
      expect(await auditCommands()).toEqual([["enqueue", 2]]);
    });

    it("is moved to procesar by the worker's promotion once due", async () => {
      await enqueueTasks(queue, [{ tipo: "procesar_tickets_vencidos" }], {
        dueAt: Date.now() - 1,
      });

      expect(await workerQueue().promoteDue(Date.now())).toBe(1);
      expect(await pending()).toHaveLength(1);
    });

    const workerQueue = () =>
      createWorkerQueue({ transport, keys, worker: "promote-test" });
  });

  describe("waitForRecord", () => {
    it("finds the record pushed after the watch started, past newer ones", async () => {
      const [task] = await enqueueTasks(queue, [
        { tipo: "procesar_tickets_vencidos" },
      ]);
      const old = failureRecord({
        id: task!.id,
        encolada_en: "2020-01-01T00:00:00Z",
      });
      await fail(old);
      const watched = { id: task!.id!, encolada_en: task!.encolada_en! };
      const watch = await watchForRecord(queue, watched);
      const record = failureRecord({
        id: task!.id,
        encolada_en: task!.encolada_en,
      });
      await fail(record, ...Array.from({ length: 450 }, () => failureRecord()));

      const outcome = await waitForRecord(watch, watched, { timeoutMs: 2000 });

      expect(outcome.list).toBe("fallidas");
      expect(outcome.record).toEqual(record);
    });

    it("times out with exit code 124", async () => {
      const watched = { id: "never", encolada_en: new Date().toISOString() };
      const watch = await watchForRecord(queue, watched);

      const error = await waitForRecord(watch, watched, {
        timeoutMs: 300,
        pollMs: 50,
      }).catch((e) => e);

      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.exitCode).toBe(124);
    });
  });
});
