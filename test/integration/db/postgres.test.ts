/**
 * The pg-pool `Database`: result shapes, name checks, ping, close, and
 * surviving the server killing an idle connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ConnectionError } from "../../../src/common/errors.js";
import { createDatabase, type Database } from "../../../src/db/index.js";
import {
  createTestDatabase,
  TEST_BATCH_ROLE,
  withClient,
  type TestDatabase,
} from "../../helpers/pg.js";

let testDb: TestDatabase;
let db: Database;
const errors: Error[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase("postgres");
  db = await createDatabase({
    url: testDb.batchUrl,
    poolSize: 2,
    onError: (err) => errors.push(err),
  });
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe("createDatabase with a URL", () => {
  it("describes the database without a password", async () => {
    const withPassword = await createDatabase({
      url: "postgresql://batch:pw-secret@db.example:6543/tickets",
      poolSize: 1,
    });

    expect(withPassword.kind).toBe("postgres");
    expect(withPassword.description).toBe("batch@db.example:6543/tickets");
    await withPassword.close();
  });

  it("rejects a URL that is not postgres:// and a pool size below 1", async () => {
    const badUrl = createDatabase({ url: "redis://127.0.0.1", poolSize: 1 });
    const badPool = createDatabase({ url: testDb.batchUrl, poolSize: 0 });

    await expect(badUrl).rejects.toThrow(ConfigError);
    await expect(badPool).rejects.toThrow(ConfigError);
  });

  it.each([
    ["a scalar as a number", "pg_catalog.abs", [-42], 42],
    [
      "jsonb as an object",
      "pg_catalog.jsonb_strip_nulls",
      [{ a: 1, b: null }],
      { a: 1 },
    ],
    [
      "a set as an array",
      "pg_catalog.jsonb_array_elements",
      ["[1, 2, 3]"],
      [1, 2, 3],
    ],
    ["an empty set as null", "pg_catalog.jsonb_array_elements", ["[]"], null],
    ["void as null", "pg_catalog.pg_sleep", [0], null],
    ["SQL NULL as null", "pg_catalog.upper", [null], null],
    ["an unqualified name", "upper", ["abc"], "ABC"],
  ])("returns %s", async (_, fn, args, expected) => {
    await expect(db.callFunction(fn, args)).resolves.toEqual(expected);
  });

  it("returns a composite row as an object", async () => {
    const pgClass = 1259;

    const row = await db.callFunction("pg_catalog.pg_identify_object", [
      pgClass,
      pgClass,
      0,
    ]);

    expect(row).toEqual({
      type: "table",
      schema: "pg_catalog",
      name: "pg_class",
      identity: "pg_catalog.pg_class",
    });
  });

  it.each(["batch.x; DROP TABLE y", "a.b.c", "", "batch.", '"batch".x', "1fn"])(
    "rejects the function name %j with ConfigError",
    async (fn) => {
      await expect(db.callFunction(fn, [])).rejects.toThrow(ConfigError);
    },
  );

  it("quotes names, so case matters as in the catalog", async () => {
    await expect(
      db.callFunction("batch.GENERAR_REPORTE", ["2024-01-01"]),
    ).rejects.toMatchObject({ codigo: "42883" });
  });

  it("runs calls in parallel up to the pool size", async () => {
    const started = Date.now();

    await Promise.all([
      db.callFunction("pg_catalog.pg_sleep", [0.5]),
      db.callFunction("pg_catalog.pg_sleep", [0.5]),
    ]);

    expect(Date.now() - started).toBeLessThan(950);
  });

  it("answers ping, and ping fails with ConnectionError when away", async () => {
    const away = await createDatabase({
      url: "postgres://u@127.0.0.1:1/x",
      poolSize: 1,
    });

    await expect(db.ping()).resolves.toBeUndefined();
    await expect(away.ping()).rejects.toThrow(ConnectionError);
    await expect(away.ping()).rejects.toThrow(
      /u@127\.0\.0\.1:1\/x.*ECONNREFUSED/,
    );
    await away.close();
  });

  it("reports a killed idle connection through onError and carries on", async () => {
    await db.callFunction("pg_catalog.now", []);

    await withClient(testDb.adminUrl, (client) =>
      client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
          "WHERE usename = $1 AND datname = $2 AND state = 'idle'",
        [TEST_BATCH_ROLE, testDb.name],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ clase: "transitorio" });
    await expect(db.callFunction("pg_catalog.abs", [-1])).resolves.toBe(1);
  });

  it("closes twice without throwing", async () => {
    const other = await createDatabase({ url: testDb.batchUrl, poolSize: 1 });
    await other.ping();

    await other.close();
    await other.close();

    await expect(
      other.callFunction("pg_catalog.now", []),
    ).rejects.toMatchObject({
      clase: "transitorio",
      codigo: "connect_failed",
    });
  });
});
