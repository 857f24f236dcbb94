/**
 * The worker on real Redis and a real database, once per backend and per
 * transport (TCP, and REST through the Upstash-compatible fixture): every
 * tipo's success and recorded result, every failure class, retries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openBackend, type TestBackend } from "../../helpers/backends.js";
import {
  createTestQueue,
  readList,
  readRecords,
  TRANSPORTS,
} from "../../helpers/redis.js";
import { recordCommands } from "../../helpers/recording-transport.js";
import { createCaptureLogger } from "../../helpers/capture-logger.js";
import {
  createTestWorker,
  drain,
  enqueue,
  pushRaw,
} from "../../helpers/worker.js";
import { DEFAULT_TIMINGS } from "../../../src/worker/index.js";

const UNKNOWN_TICKET = "00000000-0000-4000-8000-000000000000";

const CASES = TRANSPORTS.flatMap((transport) =>
  (["postgres", "pglite"] as const).map((kind) => [kind, transport] as const),
);

describe.each(CASES)("worker on %s over %s", (kind, transport) => {
  let backend: TestBackend;
  const queue = createTestQueue(`tasks-${kind}`, transport);

  beforeAll(async () => {
    backend = await openBackend(kind, `worker_tasks_${kind}_${transport}`);
  });
  afterAll(async () => {
    await backend?.close();
    await queue.transport.close();
  });
  afterEach(() => queue.cleanup());

  const processed = () => readRecords(queue, queue.keys.processed);
  const failed = () => readRecords(queue, queue.keys.failed);
  const byId = async (id: string) =>
    [...(await processed()), ...(await failed())].find((r) => r.id === id);

  async function expectQueueEmpty() {
    expect(await readList(queue, queue.keys.pending)).toEqual([]);
    const zcard = await queue.transport.command("ZCARD", queue.keys.retries);
    expect(zcard).toBe(0);
  }

  it("notifies a ticket once, idempotently, and records the result", async () => {
    const ticket = await insertTicket(backend, "2024-01-15T10:00:00Z");
    const [first, second] = await enqueue(
      queue,
      { tipo: "notificar_ticket_creado", ticket_id: ticket },
      { tipo: "notificar_ticket_creado", ticket_id: ticket },
    );

    const totals = await drain(queue, backend.db, { concurrency: 1 });

    expect(totals).toMatchObject({ processed: 2, failed: 0 });
    expect((await byId(first!))?.resultado).toMatchObject({ nueva: true });
    expect((await byId(second!))?.resultado).toMatchObject({ nueva: false });
    const { rows } = await backend.admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tickets.notificaciones WHERE ticket_id = $1",
      [ticket],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("records an unknown ticket as a permanent failure", async () => {
    const [id] = await enqueue(queue, {
      tipo: "notificar_ticket_creado",
      ticket_id: UNKNOWN_TICKET,
    });

    await drain(queue, backend.db);

    const record = await byId(id!);
    expect(record?.error).toMatchObject({
      clase: "permanente",
      codigo: "P0001",
    });
    expect(record?.error.mensaje).toContain(UNKNOWN_TICKET);
    expect(record?.intentos).toBe(1);
    await expectQueueEmpty();
  });

  it("marks overdue tickets and reports how many", async () => {
    const past = new Date(Date.now() - 3600_000).toISOString();
    const future = new Date(Date.now() + 3600_000).toISOString();
    await insertTicket(backend, past, { vence_en: past });
    await insertTicket(backend, past, { vence_en: past });
    await insertTicket(backend, past, { vence_en: future });
    const [id] = await enqueue(queue, { tipo: "procesar_tickets_vencidos" });

    await drain(queue, backend.db);

    const { rows } = await backend.admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tickets.tickets WHERE estado = 'vencido'",
    );
    expect((await byId(id!))?.resultado).toEqual({
      tickets_vencidos: rows[0]?.n,
    });
    expect(rows[0]?.n).toBeGreaterThanOrEqual(2);
  });

  it("generates a report whose figures match an independent count", async () => {
    const day = "2023-03-14";
    await insertTicket(backend, `${day}T00:00:00Z`, { prioridad: "alta" });
    await insertTicket(backend, `${day}T23:59:59Z`, { prioridad: "baja" });
    await insertTicket(backend, `${day}T12:00:00Z`, {
      prioridad: "alta",
      estado: "cerrado",
      cerrado_en: `${day}T13:30:00Z`,
    });
    await insertTicket(backend, "2023-03-13T23:59:59Z", { prioridad: "media" });
    await insertTicket(backend, "2023-03-15T00:00:00Z", { prioridad: "media" });
    const [id] = await enqueue(queue, { tipo: "generar_reporte", fecha: day });

    await drain(queue, backend.db);

    const { rows } = await backend.admin.query<Record<string, number>>(
      `SELECT
         count(*) FILTER (WHERE creado_en >= $1::timestamptz
           AND creado_en < $1::timestamptz + interval '1 day')::int AS creados,
         count(*) FILTER (WHERE cerrado_en >= $1::timestamptz
           AND cerrado_en < $1::timestamptz + interval '1 day')::int AS cerrados
       FROM tickets.tickets`,
      [`${day}T00:00:00Z`],
    );
    const resultado = (await byId(id!))?.resultado;
    expect(rows[0]).toEqual({ creados: 3, cerrados: 1 });
    expect(resultado).toMatchObject({
      fecha: day,
      creados: rows[0]?.creados,
      cerrados: rows[0]?.cerrados,
      por_prioridad: { alta: 2, baja: 1, media: 0, urgente: 0 },
      tiempo_medio_resolucion_min: 90,
    });
  });

  it("deletes exactly the listed cache keys, a '*' taken literally", async () => {
    const p = queue.keys.prefix.replace(/:/g, "_");
    await queue.transport.command(
      "MSET",
      `${p}:a*`,
      "1",
      `${p}:ab`,
      "2",
      `${p}:b`,
      "3",
    );
    const [id] = await enqueue(queue, {
      tipo: "limpiar_cache",
      claves: [`${p}:a*`, `${p}:b`, `${p}:missing`],
    });

    await drain(queue, backend.db);

    expect((await byId(id!))?.resultado).toEqual({ claves: 3, borradas: 2 });
    const left = await queue.transport.command(
      "EXISTS",
      `${p}:a*`,
      `${p}:ab`,
      `${p}:b`,
    );
    expect(left).toBe(1);
    await queue.transport.command("DEL", `${p}:ab`);
  });

  it("deletes the keys of tasks finishing together in their acknowledgement, each with its own count", async () => {
    const p = queue.keys.prefix.replace(/:/g, "_");
    await queue.transport.command("MSET", `${p}:x`, "1", `${p}:y`, "2");
    const tasks = [[`${p}:x`], [`${p}:x`, `${p}:y`], [`${p}:none`]];
    const ids = await enqueue(
      queue,
      ...tasks.map((claves) => ({ tipo: "limpiar_cache", claves })),
    );
    const recording = recordCommands(queue.transport);
    const worker = createTestWorker(
      { ...queue, transport: recording },
      backend.db,
      { concurrency: 8 },
    );
    const announced = new Map<string, unknown>();
    worker.events.on("task:finished", ({ record }) =>
      announced.set(record.id, record.resultado),
    );

    await worker.run();

    // Whichever task ran first found x; the three together deleted x and y.
    const results = await Promise.all(
      ids.map(async (id) => (await byId(id))?.resultado),
    );
    const deleted = results.map((r) => (r as { borradas: number }).borradas);
    expect(deleted[0]! + deleted[1]!).toBe(2);
    expect(deleted[2]).toBe(0);
    expect(ids.map((id) => announced.get(id))).toEqual(results);
    expect(await queue.transport.command("EXISTS", `${p}:x`, `${p}:y`)).toBe(0);
    // No request of its own per task: the deletes ride on acknowledgements.
    expect(recording.sent.filter(([name]) => name === "UNLINK")).toEqual([]);
  });

  it("refuses to purge keys of the queue itself", async () => {
    await enqueue(queue, { tipo: "procesar_tickets_vencidos" });
    // Pushed as another producer would: batchctl enqueue refuses it.
    const id = "own-keys-1";
    await pushRaw(
      queue,
      JSON.stringify({
        id,
        tipo: "limpiar_cache",
        claves: [queue.keys.processed],
      }),
    );

    await drain(queue, backend.db, { concurrency: 1 });

    expect((await byId(id))?.error).toMatchObject({ clase: "validacion" });
    expect(await readList(queue, queue.keys.processed)).toHaveLength(1);
  });

  it.each([
    ["not json at all", "task: is not valid JSON"],
    ['{"tipo":"borrar_todo"}', 'tipo: unknown tipo "borrar_todo"'],
    [
      '{"tipo":"generar_reporte","fecha":"2024-02-30"}',
      "fecha: is not a real calendar date",
    ],
    [
      '{"tipo":"generar_reporte","fecha":"2024-1-5"}',
      "fecha: must be a date as YYYY-MM-DD",
    ],
    [
      '{"tipo":"generar_reporte","fecha":"15/01/2024"}',
      "fecha: must be a date as YYYY-MM-DD",
    ],
    ['{"tipo":"notificar_ticket_creado"}', "ticket_id: is required"],
    ["[1,2]", "task: must be a JSON object"],
  ])("records %s as a validation failure and goes on", async (raw, message) => {
    await pushRaw(queue, raw, '{"tipo":"procesar_tickets_vencidos"}');

    const totals = await drain(queue, backend.db, { concurrency: 1 });

    expect(totals).toMatchObject({ processed: 1, failed: 1, retried: 0 });
    const [record] = await failed();
    expect(record?.error.clase).toBe("validacion");
    expect(record?.error.mensaje).toContain(message);
    expect(record?.intentos).toBe(1);
    if (raw.startsWith("{") || raw.startsWith("[")) {
      expect(record?.tarea).toEqual(JSON.parse(raw));
    } else {
      expect(record?.crudo).toBe(raw);
    }
    await expectQueueEmpty();
  });

  it("retries a transient failure and then succeeds", async () => {
    await backend.admin.query("CREATE SEQUENCE test_fn.llamadas_20240103");
    const [id] = await enqueue(queue, {
      tipo: "generar_reporte",
      fecha: "2024-01-03",
    });

    const totals = await drain(queue, backend.db, {
      ctx: withReportFunction(queue, backend, "test_fn.reporte_inestable"),
    });

    expect(totals).toMatchObject({ processed: 1, failed: 0, retried: 2 });
    const record = await byId(id!);
    expect(record).toMatchObject({ intentos: 3, resultado: { llamadas: 3 } });
    expect(await failed()).toEqual([]);
  });

  it("records a transient failure as failed once the attempts run out", async () => {
    await backend.admin.query("CREATE SEQUENCE test_fn.llamadas_20240109");
    const [id] = await enqueue(queue, {
      tipo: "generar_reporte",
      fecha: "2024-01-09",
    });

    const totals = await drain(queue, backend.db, {
      ctx: withReportFunction(queue, backend, "test_fn.reporte_inestable"),
      policy: { maxAttempts: 3, baseMs: 10, maxMs: 50 },
    });

    expect(totals).toMatchObject({ processed: 0, failed: 1, retried: 2 });
    const record = await byId(id!);
    expect(record).toMatchObject({
      intentos: 3,
      error: { clase: "transitorio", codigo: "40001" },
    });
    await expectQueueEmpty();
  });

  it("fails a task whose function is missing as permanent", async () => {
    const [id] = await enqueue(queue, {
      tipo: "generar_reporte",
      fecha: "2024-01-01",
    });

    await drain(queue, backend.db, {
      ctx: withReportFunction(queue, backend, "test_fn.no_such_function"),
    });

    expect((await byId(id!))?.error).toMatchObject({
      clase: "permanente",
      codigo: "42883",
    });
  });

  it("assigns an id to a task that has none and keeps a given one", async () => {
    await pushRaw(
      queue,
      '{"tipo":"procesar_tickets_vencidos"}',
      '{"tipo":"procesar_tickets_vencidos","id":"mine-1"}',
    );

    await drain(queue, backend.db, { concurrency: 1 });

    const ids = (await processed()).map((r) => r.id);
    expect(ids).toContain("mine-1");
    expect(ids.find((x) => x !== "mine-1")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logs one line per finished task and a periodic summary of the counts", async () => {
    const ids = await enqueue(
      queue,
      { tipo: "procesar_tickets_vencidos" },
      { tipo: "limpiar_cache", claves: ["summary-test-key"] },
    );
    await pushRaw(queue, "not json");
    const log = createCaptureLogger();
    const worker = createTestWorker(queue, backend.db, {
      drain: false,
      logTasks: true,
      logger: log.logger,
      timings: { ...DEFAULT_TIMINGS, blockSeconds: 0.2, summaryMs: 100 },
    });
    const running = worker.run();
    const sum = (field: string) =>
      log
        .find("summary")
        .reduce((total, line) => total + Number(line[field]), 0);
    const deadline = Date.now() + 10_000;
    while (sum("processed") + sum("failed") < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    worker.stop("test");
    await running;

    const done = log.find("task processed");
    expect(done.map((line) => line.id).sort()).toEqual([...ids].sort());
    for (const line of done) {
      expect(line).toMatchObject({ intentos: 1, worker: expect.any(String) });
      expect(line.tipo).toMatch(/^(procesar_tickets_vencidos|limpiar_cache)$/);
      expect(line.duracion_ms).toEqual(expect.any(Number));
    }
    const bad = log.find("task failed");
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({
      tipo: null,
      error: { clase: "validacion" },
    });
    expect(sum("processed")).toBe(2);
    expect(sum("failed")).toBe(1);
    expect(sum("retried")).toBe(0);
    expect(log.find("summary")[0]).toMatchObject({
      rate_per_s: expect.any(Number),
      in_flight: expect.any(Number),
    });
  });
});

function withReportFunction(
  queue: ReturnType<typeof createTestQueue>,
  backend: TestBackend,
  fn: string,
) {
  return {
    db: backend.db,
    functions: {
      notificar_ticket_creado: "batch.notificar_ticket_creado",
      procesar_tickets_vencidos: "batch.procesar_tickets_vencidos",
      generar_reporte: fn,
    },
    redis: queue.transport,
    keys: queue.keys,
  };
}

async function insertTicket(
  backend: TestBackend,
  creadoEn: string,
  fields: Record<string, unknown> = {},
): Promise<string> {
  const row: Record<string, unknown> = {
    titulo: "Test",
    creado_en: creadoEn,
    ...fields,
  };
  const columns = Object.keys(row);
  const { rows } = await backend.admin.query<{ id: string }>(
    `INSERT INTO tickets.tickets (${columns.join(", ")})
     VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING id`,
    Object.values(row),
  );
  return rows[0]!.id;
}
