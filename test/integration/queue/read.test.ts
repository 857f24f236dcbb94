/**
 * The read operations on real Redis: list windows (including a list of a
 * million entries, read only where asked), the tipo scan, finding a task
 * by id, stats with real workers' counters, failure groups, Redis health.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkerQueue,
  findTask,
  groupFailures,
  inspectRedis,
  listWindow,
  queueStats,
  type QueueContext,
} from "../../../src/queue/index.js";
import { openBackend, type TestBackend } from "../../helpers/backends.js";
import { recordCommands } from "../../helpers/recording-transport.js";
import { createTestQueue, TRANSPORTS } from "../../helpers/redis.js";
import { drain, enqueue, pushRaw } from "../../helpers/worker.js";

const MINUTE = 60_000;

/** A task as a producer would push it, with a known id. */
const task = (id: string, tipo = "limpiar_cache") =>
  JSON.stringify({ id, tipo, claves: [`k-${id}`] });

/** Pushes tasks as JSON with fresh ids, unvalidated (a producer may). */
async function pushTasks(ctx: QueueContext, ...tasks: object[]) {
  const withIds = tasks.map((t) => ({ id: randomUUID(), ...t }));
  await pushRaw(ctx, ...withIds.map((t) => JSON.stringify(t)));
  return withIds.map((t) => t.id);
}

/** A failure record as the worker stores it (for volume tests). */
const failureRecord = (id: string, mensaje: string, at: string) =>
  JSON.stringify({
    id,
    tipo: "generar_reporte",
    tarea: { tipo: "generar_reporte", id },
    intentos: 1,
    encolada_en: at,
    iniciada_en: at,
    terminada_en: at,
    duracion_ms: 1,
    worker: "w",
    error: { mensaje, clase: "permanente" },
  });

/** Pushes `count` tasks `{id: "<prefix><i>"}` with a server-side script. */
async function fillList(ctx: QueueContext, count: number, prefix: string) {
  const lua = `
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  redis.call('RPUSH', KEYS[1], '{"id":"' .. ARGV[3] .. i .. '","tipo":"limpiar_cache"}')
end
return 1`;
  const step = 100_000;
  for (let from = 0; from < count; from += step) {
    const to = Math.min(from + step, count) - 1;
    await ctx.transport.command(
      "EVAL",
      lua,
      1,
      ctx.keys.pending,
      from,
      to,
      prefix,
    );
  }
}

describe.each(TRANSPORTS)("read operations over %s", (kind) => {
  const queue = createTestQueue("read", kind);
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await openBackend("pglite", "read");
  });
  afterAll(async () => {
    await backend?.close();
    await queue.transport.close();
  });
  afterEach(() => queue.cleanup());

  const claimFor = async (worker: string, count: number) => {
    const wq = createWorkerQueue({ ...queue, worker });
    await wq.heartbeat(
      {
        id: worker,
        host: "test",
        pid: 1,
        started_at: new Date().toISOString(),
        concurrency: 4,
        in_flight: count,
        processed: 0,
        failed: 0,
        transport: "tcp test",
        version: "test",
        requests: 0,
        requests_per_min: 0,
      },
      MINUTE,
    );
    return wq.claim(count);
  };

  describe("listWindow", () => {
    it("reads a window of procesar from the head, keeping entries that are not JSON", async () => {
      await pushRaw(
        queue,
        task("a"),
        "not json",
        task("c"),
        "[1,2]",
        task("e"),
      );

      const window = await listWindow(queue, "procesar", {
        offset: 1,
        limit: 3,
      });

      expect(window).toMatchObject({
        total: 5,
        offset: 1,
        limit: 3,
        truncated: false,
      });
      expect(
        window.entries.map((e) => [e.position, e.id, e.tipo, e.raw]),
      ).toEqual([
        [1, undefined, null, "not json"],
        [2, "c", "limpiar_cache", task("c")],
        [3, undefined, null, "[1,2]"],
      ]);
      expect(window.entries[0]?.value).toBeUndefined();
      expect(window.entries[1]?.value).toMatchObject({ claves: ["k-c"] });
    });

    it("returns nothing past the end", async () => {
      await pushRaw(queue, task("a"));

      const window = await listWindow(queue, "procesar", {
        offset: 5,
        limit: 10,
      });

      expect(window).toMatchObject({ total: 1, entries: [] });
    });

    it("reads zsets by due time with each entry's due time", async () => {
      const now = Date.now();
      await queue.transport.command(
        "ZADD",
        queue.keys.scheduled,
        now + 3 * MINUTE,
        task("late"),
        now + MINUTE,
        task("soon"),
        now + 2 * MINUTE,
        task("mid"),
      );
      await queue.transport.command(
        "ZADD",
        queue.keys.retries,
        now,
        task("retry"),
      );

      const scheduled = await listWindow(queue, "programadas", {
        offset: 0,
        limit: 2,
      });
      const retries = await listWindow(queue, "reintentos", {
        offset: 0,
        limit: 5,
      });

      expect(scheduled.total).toBe(3);
      expect(scheduled.entries.map((e) => [e.id, e.due])).toEqual([
        ["soon", now + MINUTE],
        ["mid", now + 2 * MINUTE],
      ]);
      expect(retries.entries.map((e) => [e.list, e.id, e.due])).toEqual([
        ["reintentos", "retry", now],
      ]);
    });

    it("lists procesando across every worker's in-flight list, in worker order", async () => {
      await pushRaw(queue, ...["1", "2", "3", "4", "5"].map((id) => task(id)));
      await claimFor("w-b", 2);
      await claimFor("w-a", 3);

      const all = await listWindow(queue, "procesando", {
        offset: 0,
        limit: 10,
      });
      const window = await listWindow(queue, "procesando", {
        offset: 2,
        limit: 2,
      });

      expect(all.total).toBe(5);
      expect(all.entries.map((e) => [e.worker, e.id])).toEqual([
        ["w-a", "3"],
        ["w-a", "4"],
        ["w-a", "5"],
        ["w-b", "1"],
        ["w-b", "2"],
      ]);
      expect(window.entries.map((e) => [e.position, e.worker, e.id])).toEqual([
        [2, "w-a", "5"],
        [3, "w-b", "1"],
      ]);
    });

    it("lists procesadas and fallidas newest first, as the worker wrote them", async () => {
      const ids = await pushTasks(
        queue,
        { tipo: "limpiar_cache", claves: ["x1"] },
        { tipo: "generar_reporte", fecha: "2024-02-30" },
        { tipo: "limpiar_cache", claves: ["x2"] },
      );
      await pushRaw(queue, "{broken");
      await drain(queue, backend.db, { concurrency: 1 });

      const processed = await listWindow(queue, "procesadas", {
        offset: 0,
        limit: 10,
      });
      const failed = await listWindow(queue, "fallidas", {
        offset: 0,
        limit: 10,
      });

      expect(processed.entries.map((e) => e.id)).toEqual([ids[2], ids[0]]);
      expect(failed.total).toBe(2);
      expect(failed.entries[0]).toMatchObject({ tipo: null });
      expect(failed.entries[1]).toMatchObject({
        id: ids[1],
        tipo: "generar_reporte",
      });
      expect(failed.entries[1]?.value?.error).toMatchObject({
        clase: "validacion",
      });
    });

    it("filters by tipo across chunks, with offset counting matches", async () => {
      // 1,200 entries: every third a generar_reporte, so matches span chunks.
      const raws = Array.from({ length: 1200 }, (_, i) =>
        task(`t${i}`, i % 3 === 0 ? "generar_reporte" : "limpiar_cache"),
      );
      await pushRaw(queue, ...raws, "not json");

      const window = await listWindow(queue, "procesar", {
        offset: 190,
        limit: 20,
        tipo: "generar_reporte",
      });
      const invalid = await listWindow(queue, "procesar", {
        offset: 0,
        limit: 5,
        tipo: "invalida",
      });

      expect(window.entries.map((e) => e.id)).toEqual(
        Array.from({ length: 20 }, (_, i) => `t${(190 + i) * 3}`),
      );
      // 210 matches end at entry 627: two chunks of 500 were read.
      expect(window).toMatchObject({ scanned: 1000, truncated: false });
      expect(invalid.entries.map((e) => e.raw)).toEqual(["not json"]);
    });

    it("stops the tipo scan at its cap and says so", async () => {
      await pushRaw(
        queue,
        ...Array.from({ length: 1500 }, (_, i) => task(`t${i}`)),
      );

      const window = await listWindow(queue, "procesar", {
        offset: 0,
        limit: 20,
        tipo: "generar_reporte",
        scanCap: 1000,
      });

      expect(window).toMatchObject({
        entries: [],
        scanned: 1000,
        truncated: true,
      });
    });

    it("reads only its window of a list of 1,000,000 entries", async () => {
      await fillList(queue, 1_000_000, "m");
      const recorder = recordCommands(queue.transport);
      const ctx = { transport: recorder, keys: queue.keys };
      const { pending } = queue.keys;

      const tail = await listWindow(ctx, "procesar", {
        offset: 999_980,
        limit: 20,
      });
      const tailCommands = [...recorder.sent];
      recorder.clear();
      const scan = await listWindow(ctx, "procesar", {
        offset: 0,
        limit: 5,
        tipo: "generar_reporte",
        scanCap: 2000,
      });

      expect(tail.total).toBe(1_000_000);
      expect(tail.entries.map((e) => e.id)).toEqual(
        Array.from({ length: 20 }, (_, i) => `m${999_980 + i}`),
      );
      expect(tailCommands).toEqual([
        ["LLEN", pending],
        ["LRANGE", pending, 999_980, 999_999],
      ]);
      expect(scan).toMatchObject({ scanned: 2000, truncated: true });
      const ranges = recorder.sent.filter((c) => c[0] === "LRANGE");
      expect(ranges).toHaveLength(4);
      for (const [, , start, stop] of ranges) {
        expect(Number(stop) - Number(start)).toBe(499);
      }
      await queue.transport.command("UNLINK", pending);
    });
  });

  describe("findTask", () => {
    it("finds a task in each list and zset, with its entry", async () => {
      const [failedId, doneId] = await pushTasks(
        queue,
        { tipo: "generar_reporte", fecha: "2024-02-31" },
        { tipo: "limpiar_cache", claves: ["k"] },
      );
      await drain(queue, backend.db);
      await pushRaw(queue, task("p-1"), task("f-1"), task("f-2"));
      await claimFor("w-1", 1);
      const due = Date.now() + MINUTE;
      await queue.transport.command(
        "ZADD",
        queue.keys.retries,
        due,
        task("r-1"),
      );
      await queue.transport.command(
        "ZADD",
        queue.keys.scheduled,
        due,
        task("s-1"),
      );

      const where = async (id: string) =>
        (await findTask(queue, id)).places.map((e) => [
          e.list,
          e.position,
          e.worker,
          e.due,
        ]);

      expect(await where("p-1")).toEqual([["procesando", 0, "w-1", undefined]]);
      expect(await where("f-2")).toEqual([
        ["procesar", 1, undefined, undefined],
      ]);
      expect(await where("r-1")).toEqual([["reintentos", 0, undefined, due]]);
      expect(await where("s-1")).toEqual([["programadas", 0, undefined, due]]);
      expect(await where(doneId!)).toEqual([
        ["procesadas", 0, undefined, undefined],
      ]);
      const failed = await findTask(queue, failedId!);
      expect(failed.ids).toEqual([failedId]);
      expect(failed.places[0]?.list).toBe("fallidas");
      expect(failed.places[0]?.value?.error).toMatchObject({
        clase: "validacion",
      });
    });

    it("lists every place a task is in, in the order tasks move", async () => {
      const [id] = await pushTasks(queue, {
        tipo: "generar_reporte",
        fecha: "2024-02-30",
      });
      await drain(queue, backend.db);
      await pushRaw(
        queue,
        JSON.stringify({ id, tipo: "generar_reporte", fecha: "2024-02-28" }),
      );

      const found = await findTask(queue, id!);

      expect(found.places.map((e) => e.list)).toEqual(["procesar", "fallidas"]);
    });

    it("matches an id prefix only when no id matches exactly", async () => {
      await pushRaw(
        queue,
        task("abcd-1111"),
        task("abcd-2222"),
        task("abcd"),
        `not json "abcd-3333"`,
        JSON.stringify({
          id: "other",
          tipo: "limpiar_cache",
          claves: ["abcd-1111"],
        }),
      );

      expect((await findTask(queue, "abcd")).ids).toEqual(["abcd"]);
      expect((await findTask(queue, "abcd-1")).ids).toEqual(["abcd-1111"]);
      expect((await findTask(queue, "abcd-")).ids.sort()).toEqual([
        "abcd-1111",
        "abcd-2222",
      ]);
      expect(
        (await findTask(queue, "abcd-1", { allowPrefix: false })).ids,
      ).toEqual([]);
      expect(await findTask(queue, "zzz")).toEqual({ ids: [], places: [] });
    });

    it("scans each list with one script inside Redis", async () => {
      await pushRaw(
        queue,
        ...Array.from({ length: 3000 }, (_, i) => task(`n${i}`)),
      );
      const recorder = recordCommands(queue.transport);

      const found = await findTask(
        { transport: recorder, keys: queue.keys },
        "n2999",
      );

      expect(found.places.map((e) => e.position)).toEqual([2999]);
      expect(recorder.sent.filter((c) => c[0] === "LRANGE")).toEqual([]);
      expect(recorder.sent.filter((c) => c[0] === "SCRIPT")).toHaveLength(5);
    });
  });

  describe("queueStats", () => {
    it("counts every list, workers alive and dead, and the pause", async () => {
      await pushRaw(queue, ...["1", "2", "3", "4"].map((id) => task(id)));
      await claimFor("w-live", 2);
      await queue.transport.command("SADD", queue.keys.workers, "w-dead");
      await queue.transport.command(
        "RPUSH",
        queue.keys.inFlight("w-dead"),
        task("9"),
      );
      await queue.transport.command("ZADD", queue.keys.retries, 1, task("r"));
      await queue.transport.command("SET", queue.keys.pause, "1", "PX", MINUTE);

      const stats = await queueStats(queue);

      expect(stats.counts).toEqual({
        procesar: 2,
        procesando: 3,
        reintentos: 1,
        programadas: 0,
        procesadas: 0,
        fallidas: 0,
      });
      expect(stats.pause.paused).toBe(true);
      expect(stats.pause.expires_in_ms).toBeGreaterThan(50_000);
      expect(stats.pause.expires_in_ms).toBeLessThanOrEqual(MINUTE);
      const [dead, live] = stats.workers;
      expect(live).toMatchObject({ id: "w-live", alive: true, in_flight: 2 });
      expect(live?.info).toMatchObject({ host: "test", concurrency: 4 });
      expect(live?.heartbeat_age_ms).toBeGreaterThanOrEqual(0);
      expect(live?.heartbeat_age_ms).toBeLessThan(30_000);
      expect(dead).toMatchObject({ id: "w-dead", alive: false, in_flight: 1 });
      expect(dead?.heartbeat_age_ms).toBeNull();
    });

    it("reports a pause without expiry, and no pause", async () => {
      const before = await queueStats(queue);
      await queue.transport.command("SET", queue.keys.pause, "1");

      const after = await queueStats(queue);

      expect(before.pause).toEqual({ paused: false, expires_in_ms: null });
      expect(after.pause).toEqual({ paused: true, expires_in_ms: null });
    });

    it("reads today's counters written by a real worker, and the rate from records", async () => {
      await pushTasks(
        queue,
        { tipo: "limpiar_cache", claves: ["a"] },
        { tipo: "limpiar_cache", claves: ["b"] },
        { tipo: "generar_reporte", fecha: "2024-02-30" },
      );
      await pushRaw(queue, "nope");
      await drain(queue, backend.db);

      const stats = await queueStats(queue);

      expect(stats.today.day).toBe(new Date().toISOString().slice(0, 10));
      expect(stats.today.by_tipo).toEqual({
        limpiar_cache: { procesadas: 2, fallidas: 0, reintentos: 0 },
        generar_reporte: { procesadas: 0, fallidas: 1, reintentos: 0 },
        invalida: { procesadas: 0, fallidas: 1, reintentos: 0 },
      });
      expect(stats.today.totals).toEqual({
        procesadas: 2,
        fallidas: 2,
        reintentos: 0,
      });
      expect(stats.rate?.source).toBe("records");
      expect(stats.rate?.per_second).toBeCloseTo(
        (4 * 1000) / stats.rate!.window_ms,
        6,
      );
    });

    it("measures the rate from two samples of the counters", async () => {
      await enqueue(queue, { tipo: "limpiar_cache", claves: ["a"] });
      await drain(queue, backend.db);
      const first = await queueStats(queue);
      await enqueue(
        queue,
        ...Array.from({ length: 5 }, (_, i) => ({
          tipo: "limpiar_cache",
          claves: [`k${i}`],
        })),
      );
      await drain(queue, backend.db);

      const second = await queueStats(queue, first);

      expect(second.rate?.source).toBe("samples");
      const windowMs = Date.parse(second.at) - Date.parse(first.at);
      expect(second.rate).toEqual({
        source: "samples",
        window_ms: windowMs,
        per_second: (5 * 1000) / windowMs,
      });
    });

    it("tells the age of the oldest pending task from its encolada_en", async () => {
      const queuedAt = new Date(Date.now() - 10 * MINUTE).toISOString();
      await enqueue(queue, {
        tipo: "limpiar_cache",
        claves: ["a"],
        encolada_en: queuedAt,
      });
      await enqueue(queue, { tipo: "limpiar_cache", claves: ["b"] });

      const stats = await queueStats(queue);
      await queue.cleanup();
      await pushRaw(queue, '{"tipo":"procesar_tickets_vencidos"}');
      const bare = await queueStats(queue);

      expect(stats.oldest_pending_age_ms).toBeGreaterThanOrEqual(10 * MINUTE);
      expect(stats.oldest_pending_age_ms).toBeLessThan(11 * MINUTE);
      expect(bare.oldest_pending_age_ms).toBeNull();
    });
  });

  describe("groupFailures", () => {
    it("groups real failures by tipo, class and message with uuids and numbers normalized", async () => {
      const unknown = ["1", "2", "3"].map(
        (n) => `00000000-0000-4000-8000-00000000000${n}`,
      );
      const ids = await pushTasks(
        queue,
        ...unknown.map((ticket_id) => ({
          tipo: "notificar_ticket_creado",
          ticket_id,
        })),
        { tipo: "generar_reporte", fecha: "2024-02-30" },
        { tipo: "generar_reporte", fecha: "2023-02-29" },
      );
      await pushRaw(queue, '{"tipo":"bogus"}');
      await drain(queue, backend.db, { concurrency: 1 });

      const result = await groupFailures(queue);

      expect(result).toMatchObject({ scanned: 6, total: 6, capped: false });
      expect(
        result.groups.map((g) => [g.n, g.tipo, g.clase, g.count, g.mensaje]),
      ).toEqual([
        [
          1,
          "notificar_ticket_creado",
          "permanente",
          3,
          "ticket <uuid> does not exist",
        ],
        [
          2,
          "generar_reporte",
          "validacion",
          2,
          "fecha: is not a real calendar date",
        ],
        [
          3,
          "bogus",
          "validacion",
          1,
          expect.stringContaining('unknown tipo "bogus"'),
        ],
      ]);
      const [tickets, reports] = result.groups;
      expect(tickets?.ids.sort()).toEqual(ids.slice(0, 3).sort());
      expect(reports?.ids.sort()).toEqual(ids.slice(3, 5).sort());
      expect(tickets?.ids).toContain(tickets?.sample_id);
      expect(tickets!.first_seen! <= tickets!.last_seen!).toBe(true);
    });

    it("stops at its cap and says so; an unreadable record is a group of its own", async () => {
      const at = "2026-01-01T00:00:00.000Z";
      const records = Array.from({ length: 2500 }, (_, i) =>
        failureRecord(`f${i}`, `timeout after ${i} ms`, at),
      );
      await queue.transport.command(
        "RPUSH",
        queue.keys.failed,
        "garbage",
        ...records,
      );

      const capped = await groupFailures(queue, { limit: 1000 });

      expect(capped).toMatchObject({
        scanned: 1000,
        total: 2501,
        capped: true,
      });
      expect(
        capped.groups.map((g) => [g.tipo, g.clase, g.mensaje, g.count]),
      ).toEqual([
        ["generar_reporte", "permanente", "timeout after <n> ms", 999],
        ["invalida", "?", "(unreadable record)", 1],
      ]);
    });
  });

  describe("inspectRedis", () => {
    it("reports latency, version and the eviction policy", async () => {
      const [, policy] = await queue.transport.command<string[]>(
        "CONFIG",
        "GET",
        "maxmemory-policy",
      );

      const health = await inspectRedis(queue);

      expect(health.latency_ms).toBeGreaterThan(0);
      expect(health.latency_ms).toBeLessThan(5000);
      expect(health.version).toMatch(/^\d+\.\d+/);
      expect(health.maxmemory_policy).toBe(policy);
      expect(health.may_evict).toBe(policy !== "noeviction");
    });
  });
});
