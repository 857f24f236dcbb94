/**
 * The two databases the worker runs on, opened the same way for a suite:
 * real PostgreSQL (a fresh database, the worker connected as the batch
 * role) and embedded PGlite (in memory).
 */
import { readFile } from "node:fs/promises";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import {
  createDatabase,
  createPgliteDatabase,
  openPglite,
  type Database,
} from "../../src/db/index.js";
import {
  connectClient,
  createTestDatabase,
  TEST_BATCH_ROLE,
  type Queryable,
} from "./pg.js";

/** An open backend: the worker's Database and a superuser connection. */
export interface TestBackend {
  kind: "postgres" | "pglite";
  db: Database;
  /** Superuser access for arranging and checking data. */
  admin: Queryable;
  /** URL of the batch role (postgres only), for spawned workers. */
  batchUrl?: string;
  close(): Promise<void>;
}

const TEST_FUNCTIONS = new URL("./test-functions.sql", import.meta.url);

async function installTestFunctions(admin: Queryable & { exec?: unknown }) {
  const sql = (await readFile(TEST_FUNCTIONS, "utf8")).replaceAll(
    ":role",
    pg.escapeIdentifier(TEST_BATCH_ROLE),
  );
  if ("exec" in admin && typeof admin.exec === "function") {
    await (admin as unknown as PGlite).exec(sql);
  } else {
    await admin.query(sql);
  }
}

/** Opens a fresh backend of `kind`; `name` keeps databases apart. */
export async function openBackend(
  kind: "postgres" | "pglite",
  name: string,
  poolSize = 8,
): Promise<TestBackend> {
  if (kind === "pglite") {
    const instance = await openPglite("memory://");
    const db = await createPgliteDatabase(instance, "memory://");
    await instance.exec(
      `DO $$ BEGIN CREATE ROLE ${TEST_BATCH_ROLE}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    await installTestFunctions(instance);
    return { kind, db, admin: instance, close: () => db.close() };
  }

  const database = await createTestDatabase(name);
  const client = await connectClient(database.adminUrl);
  await installTestFunctions(client);
  const db = await createDatabase({ url: database.batchUrl, poolSize });
  return {
    kind,
    db,
    admin: client,
    batchUrl: database.batchUrl,
    async close() {
      await db.close();
      await client.end();
      await database.drop();
    },
  };
}
