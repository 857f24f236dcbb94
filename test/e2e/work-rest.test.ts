/**
 * `batchctl` over REST (REDIS_REST_URL + REDIS_REST_TOKEN) through the
 * Upstash-compatible endpoint in front of the real Redis: enqueue, a
 * drain of 1,000 mixed tasks while the endpoint answers 429 every 50
 * requests, and a refused token.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RestServer } from "../fixtures/rest-server.js";
import { runCli } from "../helpers/cli.js";
import {
  exitWithin,
  jsonLines,
  locate,
  openE2e,
  type E2eContext,
} from "../helpers/e2e.js";
import {
  acquireRestServer,
  readList,
  readRecords,
  REDIS_URL,
  releaseRestServer,
} from "../helpers/redis.js";
import { enqueue, pushRaw } from "../helpers/worker.js";
import { RAW_RECORD_LIMIT } from "../../src/queue/index.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";

const UNKNOWN_TICKET = "00000000-0000-4000-8000-000000000000";
const WRONG_TOKEN = "not-the-token-5d2f9b";

describe("batchctl over REST", () => {
  let ctx: E2eContext;
  let server: RestServer;

  beforeAll(async () => {
    ctx = await openE2e("work_rest", "rest");
    server = await acquireRestServer();
  });
  afterEach(async () => {
    server.faults.fail429Every = 0;
    await ctx.cleanup();
  });
  afterAll(async () => {
    await ctx?.close();
    await releaseRestServer();
  });

  it("enqueues a task and prints its id", async () => {
    const result = await runCli(
      ["enqueue", "generar_reporte", "--fecha", "2024-01-15"],
      ctx.env(),
    );

    expect(result).toMatchObject({ code: 0, stderr: "" });
    const [queued] = await readList(ctx.queue, ctx.queue.keys.pending);
    expect(JSON.parse(queued!)).toMatchObject({
      id: result.stdout.trim(),
      tipo: "generar_reporte",
    });
  });

  it("drains 1,000 mixed tasks through 429s: each id exactly once", async () => {
    const good = await enqueue(
      ctx.queue,
      ...Array.from({ length: 850 }, (_, i) => mixedTask(i)),
    );
    const unknown = await enqueue(
      ctx.queue,
      ...Array.from({ length: 75 }, () => ({
        tipo: "notificar_ticket_creado",
        ticket_id: UNKNOWN_TICKET,
      })),
    );
    const invalid = Array.from({ length: 75 }, () => randomUUID());
    await pushRaw(
      ctx.queue,
      ...invalid.map((id) =>
        JSON.stringify({ id, tipo: "generar_reporte", fecha: "2024-02-30" }),
      ),
    );
    server.faults.fail429Every = 50;
    const refusedBefore = server.counts.refused;

    const worker = ctx.start([
      "work",
      "--drain",
      "--concurrency",
      "16",
      "--no-task-log",
    ]);
    const exit = await exitWithin(worker, 120_000);

    expect(exit?.code, worker.stderr()).toBe(0);
    expect(server.counts.refused - refusedBefore).toBeGreaterThan(0);
    const places = await locate(ctx, [...good, ...unknown, ...invalid]);
    const where = (ids: string[]) =>
      new Set(ids.map((id) => places.get(id)!.join(",")));
    expect(where(good)).toEqual(new Set(["procesadas"]));
    expect(where(unknown)).toEqual(new Set(["fallidas"]));
    expect(where(invalid)).toEqual(new Set(["fallidas"]));
    const started = jsonLines(worker.lines).find(
      (line) => line.msg === "worker started",
    );
    expect(started?.transport).toBe(`rest ${new URL(server.url).host}`);
  });

  it.each([
    ["enqueue", "procesar_tickets_vencidos"],
    ["work", "--drain"],
  ])(
    "%s exits 3 with one line on a refused token, never showing it",
    async (...args) => {
      const result = await runCli(
        args,
        ctx.env({ REDIS_REST_TOKEN: WRONG_TOKEN }),
      );

      expect(result.code).toBe(3);
      const lines = result.stderr.replace(/\n$/, "").split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refused the token \(HTTP 401\)/);
      expect(result.stdout + result.stderr).not.toContain(WRONG_TOKEN);
    },
  );

  it("records a 10 MB task that a TCP producer pushed: its outcome names it by digest", async () => {
    // Found by hardening: sent back whole, the entry made every
    // acknowledgement pass the 10 MiB request limit, so it was retried
    // forever, never recorded, and `work --drain` never ended.
    const producer = createTcpTransport({ url: REDIS_URL, persistent: false });
    const huge = JSON.stringify({
      id: "huge-1",
      tipo: "limpiar_cache",
      claves: ["x".repeat(10 * 1024 * 1024)],
    });
    const small = JSON.stringify({
      id: "small-1",
      tipo: "limpiar_cache",
      claves: ["k"],
    });
    try {
      await producer.command("RPUSH", ctx.queue.keys.pending, huge, small);
    } finally {
      await producer.close();
    }

    const worker = ctx.start(["work", "--drain", "--no-task-log"]);
    const exited = await exitWithin(worker, 60_000);

    expect(exited?.code, worker.stderr()).toBe(0);
    expect(Object.fromEntries(await locate(ctx, ["small-1"]))).toEqual({
      "small-1": ["procesadas"],
    });
    // Too large to be read, so its record keeps the cut text and its size.
    const [record] = await readRecords(ctx.queue, ctx.queue.keys.failed);
    expect(record).toMatchObject({
      crudo: huge.slice(0, RAW_RECORD_LIMIT),
      crudo_bytes: Buffer.byteLength(huge),
      error: { clase: "validacion", mensaje: expect.stringMatching(/^task: /) },
    });
    expect(
      await ctx.queue.transport.command("LLEN", ctx.queue.keys.failed),
    ).toBe(1);
  });
});

function mixedTask(i: number): object {
  switch (i % 4) {
    case 0:
      return { tipo: "limpiar_cache", claves: [`e2e-rest-cache:${i}`] };
    case 1:
      return { tipo: "procesar_tickets_vencidos" };
    case 2:
      return { tipo: "generar_reporte", fecha: "2024-01-15" };
    default:
      return { tipo: "limpiar_cache", claves: [`a:${i}`, `b:${i}`] };
  }
}
