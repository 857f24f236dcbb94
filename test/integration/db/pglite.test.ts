/**
 * Embedded PGlite: setup (schema, role, demo) in a data directory, the
 * `Database` over it, and what the batch role may do there.
 */
import { DEFAULT_FUNCTIONS as fns } from "../../../src/common/config.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError } from "../../../src/common/errors.js";
import {
  createDatabase,
  openPglite,
  setupDatabase,
  type SetupReport,
} from "../../../src/db/index.js";
import { catalogFingerprint, dataFingerprint } from "../../helpers/pg.js";
import { taskErrorOf } from "./fixtures.js";

const ROLE = "batch_pglite";

let dir: string;
let dataDir: string;
let first: SetupReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchctl-pglite-"));
  dataDir = join(dir, "nested", "pgdata");
  first = await setupDatabase({ dataDir, role: ROLE, demo: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function snapshot() {
  const instance = await openPglite(dataDir);
  try {
    return {
      catalog: await catalogFingerprint(instance, ROLE),
      data: await dataFingerprint(instance),
    };
  } finally {
    await instance.close();
  }
}

describe("setupDatabase on PGlite", () => {
  it("creates the data directory, the role and the demo tickets", () => {
    expect(first).toEqual({
      database: dataDir,
      created_database: true,
      role: ROLE,
      demo_tickets_added: 300,
      tickets_total: 300,
    });
  });

  it("changes nothing when run again", async () => {
    const before = await snapshot();

    const second = await setupDatabase({ dataDir, role: ROLE, demo: true });

    expect(second).toMatchObject({
      created_database: false,
      demo_tickets_added: 0,
    });
    expect(await snapshot()).toEqual(before);
    expect(before.catalog).toContain(`role ${ROLE} login=true super=false`);
  });

  it("lets the role execute the functions and nothing else", async () => {
    // PGlite runs as `postgres` but can switch to another role at start.
    const asRole = await PGlite.create(dataDir, { username: ROLE });
    try {
      const { rows } = await asRole.query<{ n: number; who: string }>(
        "SELECT batch.procesar_tickets_vencidos() AS n, current_user AS who",
      );
      expect(rows[0]).toMatchObject({ who: ROLE });
      expect(rows[0]!.n).toBeGreaterThan(0);
      await expect(
        asRole.query("SELECT * FROM tickets.tickets"),
      ).rejects.toMatchObject({ code: "42501" });
    } finally {
      await asRole.close();
    }
  });
});

describe("createDatabase without a URL", () => {
  it("opens PGlite in the directory and answers calls", async () => {
    const db = await createDatabase({ dataDir, poolSize: 4 });
    try {
      expect(db.kind).toBe("pglite");
      expect(isAbsolute(db.description)).toBe(true);
      await expect(db.ping()).resolves.toBeUndefined();
      const report = await db.callFunction(fns.generar_reporte, ["2024-01-15"]);
      expect(report).toMatchObject({ fecha: "2024-01-15" });
    } finally {
      await db.close();
    }
  });

  it("queues parallel calls on its one connection", async () => {
    const db = await createDatabase({ dataDir: "memory://", poolSize: 1 });

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.callFunction("pg_catalog.abs", [-i]),
      ),
    );
    await db.close();

    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("fails transiently once closed, and closes twice quietly", async () => {
    const db = await createDatabase({ dataDir: "memory://", poolSize: 1 });

    await db.close();
    await db.close();

    const err = await taskErrorOf(db.callFunction("pg_catalog.now", []));
    expect(err).toMatchObject({
      clase: "transitorio",
      codigo: "database_closed",
    });
    await expect(db.ping()).rejects.toThrow(ConnectionError);
  });
});
