/**
 * inspectDatabase (batchctl doctor): reachability, latency and whether the
 * batch role may execute each configured function, on PostgreSQL and on
 * an embedded PGlite directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FUNCTIONS } from "../../../src/common/config.js";
import { ConnectionError } from "../../../src/common/errors.js";
import { inspectDatabase, setupDatabase } from "../../../src/db/index.js";
import {
  createTestDatabase,
  TEST_BATCH_ROLE,
  testUrl,
  withClient,
  type TestDatabase,
} from "../../helpers/pg.js";

const REFERENCE = Object.values(DEFAULT_FUNCTIONS);

describe("inspectDatabase on PostgreSQL", () => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase("inspect");
    await withClient(testDb.adminUrl, async (client) => {
      await client.query(
        "CREATE OR REPLACE FUNCTION public.sin_permiso() RETURNS int LANGUAGE sql AS 'SELECT 1'",
      );
      await client.query(
        "REVOKE EXECUTE ON FUNCTION public.sin_permiso() FROM PUBLIC",
      );
    });
  });
  afterAll(() => testDb?.drop());

  it("says the batch role may execute the reference functions", async () => {
    const health = await inspectDatabase({
      url: testDb.batchUrl,
      dataDir: "unused",
      functions: REFERENCE,
    });

    expect(health).toMatchObject({ kind: "postgres", role: TEST_BATCH_ROLE });
    expect(health.description).toContain(testDb.name);
    expect(health.latency_ms).toBeGreaterThan(0);
    expect(health.functions).toEqual([
      {
        name: "batch.notificar_ticket_creado",
        signatures: ["batch.notificar_ticket_creado(uuid)"],
        executable: true,
      },
      {
        name: "batch.procesar_tickets_vencidos",
        signatures: ["batch.procesar_tickets_vencidos()"],
        executable: true,
      },
      {
        name: "batch.generar_reporte",
        signatures: ["batch.generar_reporte(date)"],
        executable: true,
      },
    ]);
  });

  it("tells a missing function from one the role may not execute", async () => {
    const health = await inspectDatabase({
      url: testDb.batchUrl,
      dataDir: "unused",
      functions: ["batch.no_existe", "public.sin_permiso", "sin_permiso"],
    });

    expect(health.functions).toEqual([
      { name: "batch.no_existe", signatures: [], executable: false },
      {
        name: "public.sin_permiso",
        signatures: ["sin_permiso()"],
        executable: false,
      },
      { name: "sin_permiso", signatures: ["sin_permiso()"], executable: false },
    ]);
  });

  it("says the superuser may execute it", async () => {
    const health = await inspectDatabase({
      url: testDb.adminUrl,
      dataDir: "unused",
      functions: ["public.sin_permiso"],
    });

    expect(health.functions[0]?.executable).toBe(true);
  });

  it("throws ConnectionError naming the database when it cannot connect", async () => {
    const url = testUrl("batchctl_no_such_db");

    const failure = inspectDatabase({ url, dataDir: "unused", functions: [] });

    await expect(failure).rejects.toBeInstanceOf(ConnectionError);
    await expect(failure).rejects.toThrow(/batchctl_no_such_db.*3D000/);
  });
});

describe("inspectDatabase on PGlite", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "batchctl-inspect-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("refuses a directory that does not exist yet, without creating it", async () => {
    const dataDir = join(dir, "missing");

    const failure = inspectDatabase({ dataDir, functions: REFERENCE });

    await expect(failure).rejects.toThrow(
      /does not exist yet: run batchctl db setup/,
    );
    const { existsSync } = await import("node:fs");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("checks the functions of a set-up directory", async () => {
    const dataDir = join(dir, "pgdata");
    await setupDatabase({ dataDir, role: "usuario_batch", demo: false });

    const health = await inspectDatabase({ dataDir, functions: REFERENCE });

    expect(health.kind).toBe("pglite");
    expect(health.functions.every((f) => f.executable)).toBe(true);
  });
});
