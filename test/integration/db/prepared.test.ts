/**
 * Functions called as named prepared statements: prepared once per
 * session, off when asked, and still working behind PgBouncer in
 * transaction mode, where server sessions change under a connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../../src/common/errors.js";
import pg from "pg";
import { createDatabase, type Database } from "../../../src/db/index.js";
import { buildFunctionCall } from "../../../src/db/function-call.js";
import {
  createPreparedCalls,
  RENEW_MS,
} from "../../../src/db/prepared-calls.js";
import {
  connectClient,
  createTestDatabase,
  TEST_BATCH_ROLE,
  withClient,
  type TestDatabase,
} from "../../helpers/pg.js";
import {
  hasPgbouncer,
  startPgbouncer,
  type PrivateBouncer,
} from "../../helpers/pgbouncer.js";

/** Counts the statements batchctl prepared in the session that runs it. */
const PREPARED_HERE = "test_prep.prepared_here";
/** Raises 26000 of its own, as a function running EXECUTE of a lost plan. */
const RAISES_26000 = "test_prep.raises_26000";
/** Takes an integer at first; the test changes it to take text. */
const CHANGES = "test_prep.changes";

let testDb: TestDatabase;
const open: Database[] = [];

async function openDatabase(
  url: string,
  notices: string[] = [],
  prepareStatements?: boolean,
): Promise<Database> {
  const db = await createDatabase({
    url,
    poolSize: 1,
    ...(prepareStatements !== undefined && { prepareStatements }),
    onNotice: (message) => notices.push(message),
  });
  open.push(db);
  return db;
}

/**
 * Runs the DDL `sql` as the admin, then lets the batch role call and use
 * everything in test_prep, as `db setup` would for its own functions.
 */
const asAdmin = (sql: string) =>
  withClient(testDb.adminUrl, (client) =>
    client.query(`${sql};
      GRANT USAGE ON SCHEMA test_prep TO ${TEST_BATCH_ROLE};
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test_prep TO ${TEST_BATCH_ROLE};
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA test_prep TO ${TEST_BATCH_ROLE};`),
  );

beforeAll(async () => {
  testDb = await createTestDatabase("prepared");
  await asAdmin(`
      CREATE SCHEMA test_prep;
      CREATE FUNCTION ${PREPARED_HERE}() RETURNS bigint LANGUAGE sql AS $$
        SELECT count(*) FROM pg_catalog.pg_prepared_statements
        WHERE name LIKE 'batchctl\\_%' AND statement LIKE '%prepared_here%'
      $$;
      CREATE FUNCTION ${CHANGES}(p integer) RETURNS integer
      LANGUAGE sql AS $$ SELECT p + 1 $$;
      CREATE FUNCTION ${RAISES_26000}(p_name text) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'prepared statement "%" does not exist', p_name
          USING ERRCODE = '26000';
      END $$
    `);
});

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  await testDb?.drop();
});

describe("prepared function calls on PostgreSQL", () => {
  it("prepares each call once in the session, by default", async () => {
    const db = await openDatabase(testDb.batchUrl);

    // The statement is parsed before it runs: the first call sees itself.
    const first = await db.callFunction(PREPARED_HERE, []);
    const second = await db.callFunction(PREPARED_HERE, []);

    expect([first, second]).toEqual([1, 1]);
  });

  it("prepares nothing with prepareStatements false", async () => {
    const db = await openDatabase(testDb.batchUrl, [], false);

    expect(await db.callFunction(PREPARED_HERE, [])).toBe(0);
  });

  it("does not take a function's own 26000 for a refused statement", async () => {
    const notices: string[] = [];
    const db = await openDatabase(testDb.batchUrl, notices);
    // The name in the message is the one batchctl would use: still the
    // function's error, since batchctl's statement was prepared fine.
    const call = db.callFunction(RAISES_26000, ["batchctl_x"]);

    await expect(call).rejects.toBeInstanceOf(TaskError);
    await expect(call).rejects.toMatchObject({ codigo: "26000" });
    expect(notices).toEqual([]);
    expect(await db.callFunction(PREPARED_HERE, [])).toBe(1);
  });
});

describe("a function or type created again while prepared", () => {
  it("is called unnamed once, then prepared anew", async () => {
    const notices: string[] = [];
    const db = await openDatabase(testDb.batchUrl, notices);
    expect(await db.callFunction(CHANGES, [1])).toBe(2);
    // The prepared call passes an integer: it finds no changes(integer).
    await asAdmin(`
      DROP FUNCTION ${CHANGES}(integer);
      CREATE FUNCTION ${CHANGES}(p text) RETURNS text LANGUAGE sql AS $$
        SELECT coalesce(string_agg(name, ','), '')
        FROM pg_catalog.pg_prepared_statements
        WHERE name LIKE 'batchctl\\_%' AND statement LIKE '%changes%'
      $$;
    `);

    // Unnamed, beside the stale statement; then under a new name, the
    // stale one freed.
    const stale = await db.callFunction(CHANGES, ["2"]);
    const renewed = await db.callFunction(CHANGES, ["3"]);

    expect(stale).toMatch(/^batchctl_\w+$/);
    expect(renewed).toMatch(/^batchctl_\w+$/);
    expect(renewed).not.toBe(stale);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/no longer matched the database .*anew$/);
  });

  it("is called unnamed when the type of an argument was created again", async () => {
    await asAdmin(`
      CREATE DOMAIN test_prep.dia AS date;
      CREATE FUNCTION test_prep.por_dia(p test_prep.dia) RETURNS date
      LANGUAGE sql AS $$ SELECT p $$;
    `);
    const notices: string[] = [];
    const db = await openDatabase(testDb.batchUrl, notices);
    expect(await db.callFunction("test_prep.por_dia", ["2024-01-01"])).toBe(
      "2024-01-01",
    );
    await asAdmin(`
      DROP FUNCTION test_prep.por_dia(test_prep.dia);
      DROP DOMAIN test_prep.dia;
      CREATE DOMAIN test_prep.dia AS date;
      CREATE FUNCTION test_prep.por_dia(p test_prep.dia) RETURNS date
      LANGUAGE sql AS $$ SELECT p + 1 $$;
    `);

    // XX000 "cache lookup failed for type" while binding, without this.
    const result = await db.callFunction("test_prep.por_dia", ["2024-01-01"]);

    expect(result).toBe("2024-01-02");
    expect(notices).toHaveLength(1);
  });

  it("takes a value that only the new argument type accepts", async () => {
    await asAdmin(`
      CREATE FUNCTION test_prep.toma(p integer) RETURNS text
      LANGUAGE sql AS $$ SELECT 'integer' $$;
    `);
    const notices: string[] = [];
    const db = await openDatabase(testDb.batchUrl, notices);
    expect(await db.callFunction("test_prep.toma", [1])).toBe("integer");
    await asAdmin(`
      DROP FUNCTION test_prep.toma(integer);
      CREATE FUNCTION test_prep.toma(p text) RETURNS text
      LANGUAGE sql AS $$ SELECT 'text ' || p $$;
    `);

    // The stale statement reads "x" as an integer: 22P02 while binding.
    const result = await db.callFunction("test_prep.toma", ["x"]);

    expect(result).toBe("text x");
    expect(notices).toHaveLength(1);
  });

  it.each([
    [
      "PL/pgSQL",
      `LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM nextval('test_prep.veces_plpgsql');
        RETURN test_prep.no_existe(1);
      END $$`,
    ],
    [
      // Inlined into the call: its error carries no context of its own.
      "inlined SQL",
      `LANGUAGE sql VOLATILE AS $$
        SELECT ('test_prep.no_existe_' || nextval('test_prep.veces_sql')
          || '(int)')::regprocedure::oid::int
      $$`,
    ],
  ])(
    "runs a %s function failing 42883 in its body only once",
    async (kind, body) => {
      const suffix = kind === "PL/pgSQL" ? "plpgsql" : "sql";
      await asAdmin(`
      CREATE SEQUENCE test_prep.veces_${suffix};
      CREATE FUNCTION test_prep.falla_${suffix}() RETURNS int ${body};
    `);
      const notices: string[] = [];
      const db = await openDatabase(testDb.batchUrl, notices);

      const call = db.callFunction(`test_prep.falla_${suffix}`, []);

      await expect(call).rejects.toMatchObject({ codigo: "42883" });
      const { rows } = await withClient(testDb.adminUrl, (client) =>
        client.query<{ n: string }>(
          `SELECT last_value AS n FROM test_prep.veces_${suffix}`,
        ),
      );
      expect(rows[0]?.n).toBe("1");
      expect(notices).toEqual([]);
    },
  );

  it("still fails a value that is bad for the function as it is", async () => {
    const notices: string[] = [];
    const db = await openDatabase(testDb.batchUrl, notices);
    await db.callFunction("pg_catalog.int4abs", [-1]);

    const call = db.callFunction("pg_catalog.int4abs", ["x"]);

    await expect(call).rejects.toMatchObject({ codigo: "22P02" });
    expect(notices).toEqual([]);
  });

  it("still fails when the function is gone for good", async () => {
    const db = await openDatabase(testDb.batchUrl);
    await asAdmin(`CREATE FUNCTION test_prep.gone() RETURNS int
      LANGUAGE sql AS $$ SELECT 1 $$`);
    expect(await db.callFunction("test_prep.gone", [])).toBe(1);
    await asAdmin("DROP FUNCTION test_prep.gone()");

    const call = db.callFunction("test_prep.gone", []);

    await expect(call).rejects.toMatchObject({ codigo: "42883" });
  });
});

describe("renewing prepared calls", () => {
  it("reaches a new overload within RENEW_MS and keeps one statement per call", async () => {
    await asAdmin(`
      CREATE FUNCTION test_prep.sobre(p date) RETURNS text
      LANGUAGE sql AS $$ SELECT 'date' $$;
    `);
    let clock = 0;
    const calls = createPreparedCalls({
      isOn: true,
      onNotice: undefined,
      now: () => clock,
    });
    const pool = new pg.Pool({ connectionString: testDb.batchUrl, max: 1 });
    const client = await pool.connect();
    const sql = buildFunctionCall("test_prep.sobre", 1);
    const call = async () =>
      (await calls.run(client, sql, ["2024-01-01"])).rows[0]?.r;
    try {
      expect(await call()).toBe("date");
      // An unknown-typed argument prefers text: a fresh parse picks it.
      await asAdmin(`
        CREATE FUNCTION test_prep.sobre(p text) RETURNS text
        LANGUAGE sql AS $$ SELECT 'text' $$;
      `);
      const beforeRenewal = await call();
      clock += RENEW_MS;

      const afterRenewal = await call();

      expect([beforeRenewal, afterRenewal]).toEqual(["date", "text"]);
      for (let renewal = 0; renewal < 5; renewal++) {
        clock += RENEW_MS;
        await call();
      }
      const { rows } = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_catalog.pg_prepared_statements",
      );
      expect(rows[0]?.n).toBe("1");
      // pg's own record of the statements it parsed does not grow either.
      const { parsedStatements } = (
        client as unknown as { connection: { parsedStatements: object } }
      ).connection;
      expect(Object.keys(parsedStatements)).toHaveLength(1);
    } finally {
      client.release();
      await pool.end();
    }
  });
});

describe.skipIf(!hasPgbouncer)("behind PgBouncer in transaction mode", () => {
  let bouncer: PrivateBouncer;
  let bouncedUrl: string;

  beforeAll(async () => {
    bouncer = await startPgbouncer({
      users: [TEST_BATCH_ROLE],
      serverPoolSize: 2,
    });
    bouncedUrl = bouncer.urlFor(testDb.batchUrl);
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    await bouncer?.destroy();
  });

  it("calls again unprepared when a statement is missing on the server session", async () => {
    const notices: string[] = [];
    const db = await openDatabase(bouncedUrl, notices);
    // Prepared on the one server session, which a transaction then holds:
    // the next call runs on a second session that never saw the statement.
    expect(await db.callFunction("pg_catalog.abs", [-1])).toBe(1);
    const holder = await connectClient(bouncedUrl);
    await holder.query("BEGIN");
    await holder.query("SELECT 1");

    const result = await db
      .callFunction("pg_catalog.abs", [-2])
      .finally(() => holder.query("ROLLBACK").then(() => holder.end()));

    expect(result).toBe(2);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/refused a prepared statement .*does not exist/);
    expect(await db.callFunction(PREPARED_HERE, [])).toBe(0);
  });

  it("calls again unprepared when the server session holds the name already", async () => {
    const first = await openDatabase(bouncedUrl);
    const notices: string[] = [];
    const second = await openDatabase(bouncedUrl, notices);
    // Another function than above, so no earlier session holds it.
    await first.callFunction("pg_catalog.upper", ["a"]);

    // Its own connection, the same idle server session: Parse is refused.
    const result = await second.callFunction("pg_catalog.upper", ["b"]);

    expect(result).toBe("B");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/refused a prepared statement .*already exists/);
  });

  it("runs many calls at once through a few server sessions", async () => {
    const notices: string[] = [];
    const db = await createDatabase({
      url: bouncedUrl,
      poolSize: 8,
      onNotice: (message) => notices.push(message),
    });
    open.push(db);

    const values = Array.from({ length: 200 }, (_, i) => i);
    const results = await Promise.all(
      values.map((i) => db.callFunction("pg_catalog.int4abs", [-i])),
    );

    expect(results).toEqual(values);
    expect(notices.length).toBeLessThanOrEqual(1);
  });
});
