/**
 * The Redis side of periodic tasks, on both transports: a tick queued by
 * many callers at once lands once, a tick too late lands never, and the
 * published schedules expire when no worker refreshes them.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parseSchedule } from "../../../src/common/schedule.js";
import {
  enqueueTick,
  publishSchedules,
  readSchedules,
} from "../../../src/queue/index.js";
import { createTestQueue, readList, TRANSPORTS } from "../../helpers/redis.js";

const everySecond = parseSchedule("procesar_tickets_vencidos=* * * * * *", "t");

describe.each(TRANSPORTS)("schedules over %s", (transport) => {
  const queue = createTestQueue("schedules", transport);
  afterEach(() => queue.cleanup());
  afterAll(() => queue.transport.close());

  it("queues a tick once when ten workers ask at the same time", async () => {
    const tick = new Date("2026-06-01T12:00:00Z");
    const notAfter = Date.now() + 60_000;

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        enqueueTick(queue, everySecond, tick, { worker: `w${i}`, notAfter }),
      ),
    );

    expect(results.filter((r) => r === "enqueued")).toHaveLength(1);
    expect(results.filter((r) => r === "duplicate")).toHaveLength(9);
    const pending = (await readList(queue, queue.keys.pending)).map((raw) =>
      JSON.parse(raw),
    );
    expect(pending).toEqual([
      expect.objectContaining({
        tipo: "procesar_tickets_vencidos",
        id: "cron:procesar_tickets_vencidos:20260601T120000Z",
      }),
    ]);
    const marker = queue.keys.scheduleTick(
      everySecond.name,
      "20260601T120000Z",
    );
    expect(
      Number(await queue.transport.command("PTTL", marker)),
    ).toBeGreaterThan(0);
  });

  it("queues another tick of the same schedule", async () => {
    const notAfter = Date.now() + 60_000;
    for (const iso of ["2026-06-01T12:00:00Z", "2026-06-01T12:00:01Z"]) {
      await enqueueTick(queue, everySecond, new Date(iso), {
        worker: "w",
        notAfter,
      });
    }

    expect(await readList(queue, queue.keys.pending)).toHaveLength(2);
  });

  it("queues nothing once Redis's clock is past the tick's deadline", async () => {
    const result = await enqueueTick(queue, everySecond, new Date(), {
      worker: "w",
      notAfter: Date.now() - 5000,
    });

    expect(result).toBe("late");
    expect(await readList(queue, queue.keys.pending)).toEqual([]);
  });

  it("publishes schedules with their next run and drops expired ones", async () => {
    const report = parseSchedule("generar_reporte=0 2 * * *", "t");
    const now = new Date("2026-06-01T12:00:00Z");
    await publishSchedules(queue, [report], {
      worker: "a",
      ttlMs: 60_000,
      now,
    });
    await publishSchedules(queue, [everySecond], {
      worker: "b",
      ttlMs: 1000,
      now,
    });

    const read = await readSchedules(
      queue,
      new Date("2026-06-01T12:00:00.500Z"),
    );
    expect(read.map((s) => [s.name, s.worker, s.next_run])).toEqual([
      ["generar_reporte", "a", "2026-06-02T02:00:00.000Z"],
      ["procesar_tickets_vencidos", "b", "2026-06-01T12:00:01.000Z"],
    ]);
    const later = new Date("2026-06-01T12:00:05Z");
    expect((await readSchedules(queue, later)).map((s) => s.name)).toEqual([
      "generar_reporte",
    ]);
    // The next publish (at its own time) removes the expired field itself.
    await publishSchedules(queue, [report], {
      worker: "a",
      ttlMs: 60_000,
      now: later,
    });
    expect(
      await queue.transport.command("HKEYS", queue.keys.schedules),
    ).toEqual(["generar_reporte"]);
  });
});
