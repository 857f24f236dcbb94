import { describe, expect, it } from "vitest";
import type { QueueStats, ScheduleStatus } from "../../../src/queue/index.js";
import { headerHeight, schedulesLine } from "../../../src/ui/Header.js";

function schedule(name: string, next_run: string | null): ScheduleStatus {
  return {
    name,
    tipo: name,
    cron: "* * * * *",
    timezone: "UTC",
    task: { tipo: name },
    worker: "w",
    published_at: "2026-01-01T00:00:00.000Z",
    expires_at: Date.parse("2026-01-01T00:01:00.000Z"),
    next_run,
  };
}

function snapshotWith(schedules: ScheduleStatus[]): QueueStats {
  return {
    at: "2026-01-01T00:00:00.000Z",
    transport: "tcp test",
    requests_per_min: 0,
    counts: {
      procesar: 0,
      procesando: 0,
      reintentos: 0,
      programadas: 0,
      procesadas: 0,
      fallidas: 0,
    },
    pause: { paused: false, expires_in_ms: null },
    workers: [],
    today: {
      day: "2026-01-01",
      totals: { procesadas: 0, fallidas: 0, reintentos: 0 },
      by_tipo: {},
    },
    oldest_pending_age_ms: null,
    rate: null,
    schedules,
  };
}

describe("schedulesLine", () => {
  const now = Date.parse("2026-01-01T00:00:00.000Z");

  it("lists the schedules soonest first with the time to their next run", () => {
    const line = schedulesLine(
      snapshotWith([
        schedule("generar_reporte", "2026-01-01T02:00:00.000Z"),
        schedule("procesar_tickets_vencidos", "2026-01-01T00:00:30.000Z"),
        schedule("roto", null),
      ]),
      now,
    );

    expect(line).toBe(
      "schedules: procesar_tickets_vencidos in 30s · generar_reporte in 2h · roto never",
    );
  });

  it("takes a header line only when a worker runs schedules", () => {
    const none = snapshotWith([]);
    const some = snapshotWith([schedule("x", "2026-01-01T00:00:01.000Z")]);

    expect(schedulesLine(none, now)).toBeUndefined();
    expect(headerHeight(some, 200)).toBe(headerHeight(none, 200) + 1);
  });
});
