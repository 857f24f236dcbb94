/**
 * sql/grants.sql: the batch role may execute the three batch functions
 * and nothing else.
 */
import { DEFAULT_FUNCTIONS } from "../../../src/common/config.js";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../../src/db/index.js";
import {
  connectClient,
  createTestDatabase,
  TEST_BATCH_ROLE,
  withClient,
  type TestDatabase,
} from "../../helpers/pg.js";

let testDb: TestDatabase;
let db: Database;
let batch: pg.Client;

beforeAll(async () => {
  testDb = await createTestDatabase("grants", { demo: true });
  db = await createDatabase({ url: testDb.batchUrl, poolSize: 1 });
  batch = await connectClient(testDb.batchUrl);
});

afterAll(async () => {
  await db?.close();
  await batch?.end();
  await testDb?.drop();
});

async function sqlstateOf(sql: string): Promise<string | undefined> {
  try {
    await batch.query(sql);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe("the batch role", () => {
  it("executes the three batch functions", async () => {
    const ticket = await withClient(testDb.adminUrl, async (client) => {
      const { rows } = await client.query(
        "SELECT id FROM tickets.tickets LIMIT 1",
      );
      return rows[0].id as string;
    });

    const fns = DEFAULT_FUNCTIONS;
    await expect(
      db.callFunction(fns.notificar_ticket_creado, [ticket]),
    ).resolves.toMatchObject({ ticket_id: ticket });
    await expect(
      db.callFunction(fns.procesar_tickets_vencidos, []),
    ).resolves.toBeGreaterThan(0);
    await expect(
      db.callFunction(fns.generar_reporte, ["2024-01-15"]),
    ).resolves.toMatchObject({ fecha: "2024-01-15" });
  });

  it.each([
    "SELECT * FROM tickets.tickets",
    "INSERT INTO tickets.tickets (titulo) VALUES ('x')",
    "UPDATE tickets.tickets SET titulo = 'x'",
    "DELETE FROM tickets.tickets",
    "SELECT * FROM tickets.notificaciones",
    "INSERT INTO tickets.estadisticas_diarias (fecha) VALUES ('2024-01-01')",
    "CREATE TABLE batch.x (a int)",
  ])("is refused (42501): %s", async (sql) => {
    expect(await sqlstateOf(sql)).toBe("42501");
  });

  it("holds EXECUTE on exactly the three functions", async () => {
    const rows = await withClient(testDb.adminUrl, async (client) => {
      const result = await client.query(
        "SELECT p.oid::regprocedure::text AS fn FROM pg_proc p " +
          "JOIN pg_namespace n ON n.oid = p.pronamespace " +
          "WHERE n.nspname IN ('batch', 'tickets') " +
          "AND has_function_privilege($1, p.oid, 'EXECUTE') ORDER BY 1",
        [TEST_BATCH_ROLE],
      );
      return result.rows.map((row) => row.fn as string);
    });

    expect(rows).toEqual([
      "batch.generar_reporte(date)",
      "batch.notificar_ticket_creado(uuid)",
      "batch.procesar_tickets_vencidos()",
    ]);
  });

  it("has no privilege on any ticket table, and PUBLIC none either", async () => {
    const rows = await withClient(testDb.adminUrl, async (client) => {
      const result = await client.query(
        "SELECT c.relname, a.grantee::regrole::text AS grantee " +
          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
          "CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a " +
          "WHERE n.nspname = 'tickets' AND a.grantee <> c.relowner",
      );
      return result.rows;
    });

    expect(rows).toEqual([]);
  });

  it("is a login role without superuser rights", async () => {
    const { rows } = await batch.query(
      "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb " +
        "FROM pg_roles WHERE rolname = current_user",
    );

    expect(rows[0]).toEqual({
      rolcanlogin: true,
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
    });
  });
});
