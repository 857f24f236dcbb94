/**
 * The batch functions on real PostgreSQL, called as the batch role through
 * the pg pool, exactly as the worker calls them.
 */
import { DEFAULT_FUNCTIONS as fns } from "../../../src/common/config.js";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../../src/db/index.js";
import {
  connectClient,
  createTestDatabase,
  type TestDatabase,
} from "../../helpers/pg.js";
import { describeBatchFunctions } from "./function-suite.js";

let testDb: TestDatabase;
let db: Database;
let admin: pg.Client;

beforeAll(async () => {
  testDb = await createTestDatabase("functions");
  db = await createDatabase({ url: testDb.batchUrl, poolSize: 4 });
  admin = await connectClient(testDb.adminUrl);
});

afterAll(async () => {
  await db?.close();
  await admin?.end();
  await testDb?.drop();
});

/** Settles with "timeout" unless `promise` settles within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  const timer = new Promise<"timeout">((resolve) =>
    setTimeout(() => resolve("timeout"), ms),
  );
  return Promise.race([promise, timer]);
}

describe("batch functions on PostgreSQL, as the batch role", () => {
  describeBatchFunctions(() => ({ db, admin }));

  it("skips overdue tickets another transaction holds, without waiting", async () => {
    await admin.query(
      "INSERT INTO tickets.tickets (titulo, vence_en) " +
        "SELECT 'Overdue ' || i, now() - interval '1 day' " +
        "FROM generate_series(1, 50) AS i",
    );
    await admin.query("BEGIN");
    await admin.query(
      "SELECT id FROM tickets.tickets ORDER BY id LIMIT 10 FOR UPDATE",
    );

    const whileHeld = await within(
      db.callFunction(fns.procesar_tickets_vencidos, []),
      5_000,
    );
    await admin.query("ROLLBACK");
    const afterwards = await db.callFunction(fns.procesar_tickets_vencidos, []);

    expect(whileHeld).toBe(40);
    expect(afterwards).toBe(10);
  });
});
