/**
 * `setupDatabase` on real PostgreSQL: creates a missing database, applies
 * schema, grants and demo data, and changes nothing when run again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BatchError,
  ConfigError,
  ConnectionError,
} from "../../../src/common/errors.js";
import { setupDatabase } from "../../../src/db/index.js";
import {
  catalogFingerprint,
  createTestDatabase,
  dataFingerprint,
  TEST_BATCH_ROLE,
  withClient,
  type TestDatabase,
} from "../../helpers/pg.js";

const DEMO_TICKETS = 300;

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase("setup", { demo: true });
});

afterAll(async () => {
  await testDb?.drop();
});

function snapshot() {
  return withClient(testDb.adminUrl, async (client) => ({
    catalog: await catalogFingerprint(client, TEST_BATCH_ROLE),
    data: await dataFingerprint(client),
  }));
}

describe("setupDatabase on PostgreSQL", () => {
  it("creates the missing database and adds the demo tickets", () => {
    expect(testDb.report).toEqual({
      database: `postgres@127.0.0.1:5432/${testDb.name}`,
      created_database: true,
      role: TEST_BATCH_ROLE,
      demo_tickets_added: DEMO_TICKETS,
      tickets_total: DEMO_TICKETS,
    });
  });

  it("leaves demo data with work for every function", async () => {
    const counts = await withClient(testDb.adminUrl, async (client) => {
      const { rows } = await client.query(
        "SELECT count(DISTINCT estado)::int AS estados, " +
          "count(DISTINCT prioridad)::int AS prioridades, " +
          "count(*) FILTER (WHERE estado IN ('abierto', 'en_progreso') " +
          "AND vence_en < now())::int AS vencibles, " +
          "count(*) FILTER (WHERE creado_en < now() - interval '13 days')::int " +
          "AS antiguos, " +
          "count(*) FILTER (WHERE creado_en > now() - interval '1 day')::int " +
          "AS recientes FROM tickets.tickets",
      );
      return rows[0];
    });

    expect(counts.estados).toBe(4);
    expect(counts.prioridades).toBe(4);
    expect(counts.vencibles).toBeGreaterThan(0);
    expect(counts.antiguos).toBeGreaterThan(0);
    expect(counts.recientes).toBeGreaterThan(0);
  });

  it("changes nothing when run again", async () => {
    const before = await snapshot();

    const report = await setupDatabase({
      adminUrl: testDb.adminUrl,
      role: TEST_BATCH_ROLE,
      demo: true,
    });

    expect(report).toMatchObject({
      created_database: false,
      demo_tickets_added: 0,
      tickets_total: DEMO_TICKETS,
    });
    expect(await snapshot()).toEqual(before);
    expect(before.catalog.length).toBeGreaterThan(30);
  });

  it("runs concurrently with itself without failing", async () => {
    const runs = Array.from({ length: 3 }, () =>
      setupDatabase({
        adminUrl: testDb.adminUrl,
        role: TEST_BATCH_ROLE,
        demo: true,
      }),
    );

    const reports = await Promise.all(runs);

    expect(reports.map((r) => r.demo_tickets_added)).toEqual([0, 0, 0]);
  });

  it("rejects a role name that is not an identifier", async () => {
    const setup = setupDatabase({
      adminUrl: testDb.adminUrl,
      role: 'batch"; DROP TABLE x; --',
      demo: false,
    });

    await expect(setup).rejects.toThrow(ConfigError);
  });

  it("rejects a URL that is not postgres://, without echoing it", async () => {
    const setup = setupDatabase({
      adminUrl: "mysql://root:hunter22@db/x",
      role: TEST_BATCH_ROLE,
      demo: false,
    });

    await expect(setup).rejects.toThrow(ConfigError);
    await expect(setup).rejects.not.toThrow(/hunter22/);
  });

  it("fails with ConnectionError when the server is unreachable", async () => {
    const setup = setupDatabase({
      adminUrl: "postgres://postgres:s3cret-pw@127.0.0.1:1/x",
      role: TEST_BATCH_ROLE,
      demo: false,
    });

    await expect(setup).rejects.toThrow(ConnectionError);
    await expect(setup).rejects.toThrow(/ECONNREFUSED/);
    await expect(setup).rejects.not.toThrow(/s3cret-pw/);
  });

  it("names the step when the admin lacks the rights", async () => {
    const setup = setupDatabase({
      adminUrl: testDb.batchUrl,
      role: TEST_BATCH_ROLE,
      demo: false,
    });

    await expect(setup).rejects.toThrow(BatchError);
    await expect(setup).rejects.toThrow(/applying sql\/schema\.sql.*42501/);
  });
});
