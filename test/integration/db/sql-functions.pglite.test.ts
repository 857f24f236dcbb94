/**
 * The batch functions on embedded PGlite, in a temporary data directory.
 * One instance serves both the `Database` and the fixtures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe } from "vitest";
import {
  createPgliteDatabase,
  openPglite,
  type Database,
} from "../../../src/db/index.js";
import { describeBatchFunctions } from "./function-suite.js";

let dir: string;
let instance: PGlite;
let db: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchctl-fn-"));
  instance = await openPglite(join(dir, "pgdata"));
  db = await createPgliteDatabase(instance, join(dir, "pgdata"));
});

afterAll(async () => {
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("batch functions on PGlite", () => {
  describeBatchFunctions(() => ({ db, admin: instance }));
});
