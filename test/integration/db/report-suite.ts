/**
 * generar_reporte against figures this file computes itself from the
 * tickets it inserts, with timestamps on and around the day's edges.
 */
import { DEFAULT_FUNCTIONS as fns } from "../../../src/common/config.js";
import { describe, expect, it } from "vitest";
import { insertTicket, taskErrorOf, type SuiteContext } from "./fixtures.js";

const DAY = "2024-03-10";

interface Fixture {
  prioridad: "baja" | "media" | "alta" | "urgente";
  creado_en: string;
  cerrado_en?: string;
  vencido_en?: string;
}

/** Edge cases first: the report's day is [DAY 00:00Z, DAY+1 00:00Z). */
const FIXTURES: Fixture[] = [
  { prioridad: "media", creado_en: "2024-03-10T00:00:00Z" },
  { prioridad: "urgente", creado_en: "2024-03-10T23:59:59.999Z" },
  { prioridad: "alta", creado_en: "2024-03-11T00:00:00Z" },
  { prioridad: "baja", creado_en: "2024-03-09T23:59:59Z" },
  // 01:30 in UTC+3 is still the 9th in UTC.
  { prioridad: "alta", creado_en: "2024-03-10T01:30:00+03:00" },
  {
    prioridad: "alta",
    creado_en: "2024-03-10T08:00:00Z",
    cerrado_en: "2024-03-10T09:30:00Z",
  },
  {
    prioridad: "baja",
    creado_en: "2024-03-09T22:00:00Z",
    cerrado_en: "2024-03-10T00:30:00Z",
  },
  {
    prioridad: "urgente",
    creado_en: "2024-03-10T12:00:00Z",
    cerrado_en: "2024-03-10T12:20:30Z",
  },
  {
    prioridad: "media",
    creado_en: "2024-03-10T10:00:00Z",
    cerrado_en: "2024-03-11T00:00:00Z",
  },
  {
    prioridad: "urgente",
    creado_en: "2024-03-07T12:00:00Z",
    cerrado_en: "2024-03-08T12:00:00Z",
  },
  {
    prioridad: "media",
    creado_en: "2024-03-08T12:00:00Z",
    vencido_en: "2024-03-10T06:00:00Z",
  },
  {
    prioridad: "baja",
    creado_en: "2024-03-10T05:00:00Z",
    vencido_en: "2024-03-11T01:00:00Z",
  },
];

/** The report's figures, computed here without SQL. */
function expectedReport(fixtures: Fixture[], day: string) {
  const start = Date.parse(`${day}T00:00:00Z`);
  const end = start + 86_400_000;
  const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
  const inDay = (iso: string | undefined) => {
    const t = ms(iso);
    return t !== undefined && t >= start && t < end;
  };

  const created = fixtures.filter((f) => inDay(f.creado_en));
  const closed = fixtures.filter((f) => inDay(f.cerrado_en));
  const minutes = closed.map(
    (f) => (ms(f.cerrado_en)! - ms(f.creado_en)!) / 60_000,
  );
  const mean = minutes.reduce((a, b) => a + b, 0) / minutes.length;
  const count = (p: Fixture["prioridad"]) =>
    created.filter((f) => f.prioridad === p).length;

  return {
    fecha: day,
    creados: created.length,
    cerrados: closed.length,
    vencidos: fixtures.filter((f) => inDay(f.vencido_en)).length,
    abiertos_al_cierre: fixtures.filter(
      (f) => ms(f.creado_en)! < end && (ms(f.cerrado_en) ?? Infinity) >= end,
    ).length,
    por_prioridad: {
      baja: count("baja"),
      media: count("media"),
      alta: count("alta"),
      urgente: count("urgente"),
    },
    tiempo_medio_resolucion_min:
      minutes.length === 0 ? null : Math.round(mean * 100) / 100,
  };
}

async function insertFixture(ctx: SuiteContext, f: Fixture): Promise<void> {
  const estado = f.cerrado_en
    ? "cerrado"
    : f.vencido_en
      ? "vencido"
      : "abierto";
  await insertTicket(ctx.admin, { ...f, estado });
}

/** Registers the generar_reporte tests. */
export function describeDailyReport(context: () => SuiteContext): void {
  describe("generar_reporte", () => {
    it("computes the UTC day's figures from the tickets", async () => {
      const ctx = context();
      for (const fixture of FIXTURES) await insertFixture(ctx, fixture);
      const expected = expectedReport(FIXTURES, DAY);

      const report = await ctx.db.callFunction(fns.generar_reporte, [DAY]);

      // The fixtures must exercise every figure, not only agree on zeros.
      expect(expected).toMatchObject({
        creados: 6,
        cerrados: 3,
        vencidos: 1,
        abiertos_al_cierre: 7,
        por_prioridad: { baja: 1, media: 2, alta: 1, urgente: 2 },
        tiempo_medio_resolucion_min: 86.83,
      });
      expect(report).toEqual({ ...expected, generada_en: expect.any(String) });
    });

    it("stores one row per day and replaces it on a new run", async () => {
      const ctx = context();
      for (const fixture of FIXTURES) await insertFixture(ctx, fixture);
      await ctx.db.callFunction(fns.generar_reporte, [DAY]);
      const extra: Fixture = {
        prioridad: "baja",
        creado_en: "2024-03-10T15:00:00Z",
      };
      await insertFixture(ctx, extra);

      const report = await ctx.db.callFunction(fns.generar_reporte, [DAY]);

      const expected = expectedReport([...FIXTURES, extra], DAY);
      expect(report).toMatchObject(expected);
      const { rows } = await ctx.admin.query<Record<string, unknown>>(
        "SELECT fecha::text AS fecha, creados, cerrados, vencidos, " +
          "abiertos_al_cierre, por_prioridad, " +
          "tiempo_medio_resolucion_min::float8 AS tiempo_medio_resolucion_min " +
          "FROM tickets.estadisticas_diarias",
      );
      expect(rows).toEqual([expected]);
    });

    it("reports zeros and a null mean for a day without tickets", async () => {
      const report = await context().db.callFunction(fns.generar_reporte, [
        "2001-01-01",
      ]);

      expect(report).toEqual({
        ...expectedReport([], "2001-01-01"),
        generada_en: expect.any(String),
      });
      expect(report).toMatchObject({
        por_prioridad: { baja: 0, media: 0, alta: 0, urgente: 0 },
        tiempo_medio_resolucion_min: null,
      });
    });

    it("fails permanently for a date that does not exist", async () => {
      const err = await taskErrorOf(
        context().db.callFunction(fns.generar_reporte, ["2024-02-30"]),
      );

      expect(err.clase).toBe("permanente");
      expect(err.codigo).toMatch(/^22/);
    });
  });
}
