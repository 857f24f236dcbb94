/**
 * The behaviour of the three batch functions, shared by the PostgreSQL and
 * PGlite test files: each passes a `Database` to call through and a
 * superuser `Queryable` to arrange and inspect tickets.
 */
import { DEFAULT_FUNCTIONS as fns } from "../../../src/common/config.js";
import { beforeEach, describe, expect, it } from "vitest";
import { insertTicket, taskErrorOf, type SuiteContext } from "./fixtures.js";
import { describeDailyReport } from "./report-suite.js";

const HOUR = 3_600_000;

/** Registers the function tests; `context` is read once tests run. */
export function describeBatchFunctions(context: () => SuiteContext): void {
  beforeEach(async () => {
    await context().admin.query(
      "TRUNCATE tickets.tickets, tickets.notificaciones, " +
        "tickets.estadisticas_diarias",
    );
  });

  describe("notificar_ticket_creado", () => {
    it("records the notification once and says whether it was new", async () => {
      const { db, admin } = context();
      const id = await insertTicket(admin);

      const first = await db.callFunction(fns.notificar_ticket_creado, [id]);
      const second = await db.callFunction(fns.notificar_ticket_creado, [id]);

      expect(first).toEqual({
        ticket_id: id,
        notificacion: "creado",
        nueva: true,
      });
      expect(second).toEqual({
        ticket_id: id,
        notificacion: "creado",
        nueva: false,
      });
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tickets.notificaciones WHERE ticket_id = $1",
        [id],
      );
      expect(rows[0]!.n).toBe(1);
    });

    it("fails permanently with P0001 for an unknown ticket", async () => {
      const id = "7d1c2a5e-0000-4000-8000-000000000001";

      const err = await taskErrorOf(
        context().db.callFunction(fns.notificar_ticket_creado, [id]),
      );

      expect(err.clase).toBe("permanente");
      expect(err.codigo).toBe("P0001");
      expect(err.message).toBe(`ticket ${id} does not exist`);
    });

    it("fails permanently with 22P02 for a malformed id", async () => {
      const err = await taskErrorOf(
        context().db.callFunction(fns.notificar_ticket_creado, ["no-uuid"]),
      );

      expect(err.clase).toBe("permanente");
      expect(err.codigo).toBe("22P02");
    });
  });

  describe("procesar_tickets_vencidos", () => {
    it("marks only open and in-progress tickets past vence_en", async () => {
      const { db, admin } = context();
      const past = new Date(Date.now() - HOUR).toISOString();
      const future = new Date(Date.now() + HOUR).toISOString();
      const open = await insertTicket(admin, {
        estado: "abierto",
        vence_en: past,
      });
      const busy = await insertTicket(admin, {
        estado: "en_progreso",
        vence_en: past,
      });
      const closed = await insertTicket(admin, {
        estado: "cerrado",
        vence_en: past,
        cerrado_en: past,
      });
      const notYet = await insertTicket(admin, {
        estado: "abierto",
        vence_en: future,
      });
      const noDue = await insertTicket(admin, { estado: "abierto" });

      const marked = await db.callFunction(fns.procesar_tickets_vencidos, []);
      const again = await db.callFunction(fns.procesar_tickets_vencidos, []);

      expect(marked).toBe(2);
      expect(again).toBe(0);
      const { rows } = await admin.query<{
        id: string;
        estado: string;
        v: boolean;
      }>("SELECT id, estado, vencido_en IS NOT NULL AS v FROM tickets.tickets");
      const state = Object.fromEntries(
        rows.map((r) => [r.id, [r.estado, r.v]]),
      );
      expect(state[open]).toEqual(["vencido", true]);
      expect(state[busy]).toEqual(["vencido", true]);
      expect(state[closed]).toEqual(["cerrado", false]);
      expect(state[notYet]).toEqual(["abierto", false]);
      expect(state[noDue]).toEqual(["abierto", false]);
    });

    it("marks each ticket once when runs overlap", async () => {
      const { db, admin } = context();
      await admin.query(
        "INSERT INTO tickets.tickets (titulo, vence_en) " +
          "SELECT 'Overdue ' || i, now() - interval '1 day' " +
          "FROM generate_series(1, 200) AS i",
      );

      const counts = await Promise.all(
        Array.from({ length: 4 }, () =>
          db.callFunction(fns.procesar_tickets_vencidos, []),
        ),
      );

      expect((counts as number[]).reduce((a, b) => a + b, 0)).toBe(200);
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM tickets.tickets WHERE estado = 'vencido'",
      );
      expect(rows[0]!.n).toBe(200);
    });
  });

  describeDailyReport(context);
}
