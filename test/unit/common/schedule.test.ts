import { describe, expect, it } from "vitest";
import {
  checkScheduleNames,
  latestTick,
  nextTick,
  parseSchedule,
  parseScheduleFile,
  taskForTick,
  tickTaskId,
} from "../../../src/common/schedule.js";
import { UsageError } from "../../../src/common/errors.js";

const at = (iso: string) => new Date(iso);

describe("parseSchedule", () => {
  it("reads tipo=cron with the tipo as name, in UTC", () => {
    const schedule = parseSchedule(
      "procesar_tickets_vencidos=*/5 * * * *",
      "--schedule",
    );

    expect(schedule).toMatchObject({
      name: "procesar_tickets_vencidos",
      cron: "*/5 * * * *",
      timezone: "UTC",
      task: { tipo: "procesar_tickets_vencidos" },
    });
  });

  it("reads a name, JSON fields and a six-field pattern", () => {
    const schedule = parseSchedule(
      'home:limpiar_cache {"claves":["cache:home"]}=*/30 * * * * *',
      "--schedule",
    );

    expect(schedule).toMatchObject({
      name: "home",
      cron: "*/30 * * * * *",
      task: { tipo: "limpiar_cache", claves: ["cache:home"] },
    });
  });

  it.each([
    ["bogus=* * * * *", /tipo: unknown tipo "bogus"/],
    ["limpiar_cache=* * * * *", /claves: is required/],
    [
      'generar_reporte {"fecha":"2026-02-30"}=0 2 * * *',
      /fecha: is not a real/,
    ],
    ["procesar_tickets_vencidos=61 * * * *", /cron: .*minute/],
    ["procesar_tickets_vencidos=* * * * * * *", /cron: .*5 or 6 parts/],
    ["procesar_tickets_vencidos=0 0 30 2 *", /never matches/],
    ["procesar_tickets_vencidos */5 * * * *", /must be tipo=cron/],
    ['generar_reporte {"fecha":}=0 2 * * *', /not valid JSON/],
    ['procesar_tickets_vencidos {"id":"x"}=* * * * *', /id: set by each tick/],
    ["a b:procesar_tickets_vencidos=* * * * *", /left side/],
  ])("refuses %s in one line", (spec, message) => {
    const fail = () => parseSchedule(spec, "--schedule");

    expect(fail).toThrow(UsageError);
    expect(fail).toThrow(message);
    try {
      fail();
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
      expect((error as UsageError).exitCode).toBe(2);
    }
  });
});

describe("parseScheduleFile", () => {
  it("skips comments and blank lines and names the line of an error", () => {
    const text = [
      "# every five minutes",
      "procesar_tickets_vencidos=*/5 * * * *",
      "",
      "generar_reporte=0 2 * * *",
      "limpiar_cache=* * * * *",
    ].join("\n");

    expect(() => parseScheduleFile(text, "crontab")).toThrow(
      /^crontab:5 "limpiar_cache=\* \* \* \* \*": claves: is required$/,
    );
    const good = parseScheduleFile(
      text.split("\n").slice(0, 4).join("\n"),
      "f",
    );
    expect(good.map((s) => [s.name, s.source])).toEqual([
      ["procesar_tickets_vencidos", "f:2"],
      ["generar_reporte", "f:4"],
    ]);
  });
});

describe("checkScheduleNames", () => {
  it("refuses two schedules of one name", () => {
    const a = parseSchedule('limpiar_cache {"claves":["a"]}=* * * * *', "x:1");
    const b = parseSchedule('limpiar_cache {"claves":["b"]}=* * * * *', "x:2");
    const c = parseSchedule(
      'b:limpiar_cache {"claves":["b"]}=* * * * *',
      "x:3",
    );

    expect(() => checkScheduleNames([a, b])).toThrow(
      /x:2: name "limpiar_cache"/,
    );
    expect(() => checkScheduleNames([a, c])).not.toThrow();
  });
});

describe("ticks", () => {
  const everySecond = parseSchedule(
    "procesar_tickets_vencidos=* * * * * *",
    "t",
  );

  it("derives the task id from name and tick", () => {
    const task = taskForTick(everySecond, at("2026-12-03T20:15:07.000Z"));

    expect(task.id).toBe("cron:procesar_tickets_vencidos:20261203T201507Z");
    expect(tickTaskId({ name: "x" }, at("2026-01-01T00:00:00Z"))).toBe(
      "cron:x:20260101T000000Z",
    );
  });

  it("gives generar_reporte the day before its tick, in the schedule's zone", () => {
    const utc = parseSchedule("generar_reporte=0 1 * * *", "t");
    const madrid = parseSchedule(
      "generar_reporte=0 1 * * *",
      "t",
      "Europe/Madrid",
    );
    const fixed = parseSchedule(
      'generar_reporte {"fecha":"2024-01-15"}=0 1 * * *',
      "t",
    );
    // 23:30 UTC on 1 March is 00:30 on 2 March in Madrid.
    const tick = at("2024-03-01T23:30:00Z");

    expect(taskForTick(utc, tick)).toMatchObject({ fecha: "2024-02-29" });
    expect(taskForTick(madrid, tick)).toMatchObject({ fecha: "2024-03-01" });
    expect(taskForTick(fixed, tick)).toMatchObject({ fecha: "2024-01-15" });
  });

  it("finds the next tick after a time and the latest one before it", () => {
    const fiveMinutes = parseSchedule(
      "procesar_tickets_vencidos=*/5 * * * *",
      "t",
    );

    expect(nextTick(fiveMinutes, at("2026-01-01T00:05:00Z"))).toEqual(
      at("2026-01-01T00:10:00Z"),
    );
    expect(latestTick(fiveMinutes, at("2026-01-01T00:07:30Z"))).toEqual(
      at("2026-01-01T00:05:00Z"),
    );
    expect(nextTick(everySecond, at("2026-01-01T00:00:00.400Z"))).toEqual(
      at("2026-01-01T00:00:01Z"),
    );
  });
});
