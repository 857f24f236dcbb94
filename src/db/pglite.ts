/**
 * `Database` over embedded PGlite: PostgreSQL compiled to WebAssembly,
 * running in this process on a data directory. One connection only.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { ConnectionError } from "../common/errors.js";
import { classifyDbError, scrubSecrets } from "./classify-error.js";
import type { Database } from "./database.js";
import { buildFunctionCall, functionResult } from "./function-call.js";
import { readSqlFile } from "./sql-files.js";

/** PGlite's own scheme for a database that lives only in memory. */
const MEMORY_PREFIX = "memory://";

/**
 * Opens (and on first use creates) a PGlite database in `dataDir`,
 * creating the directory if missing; `memory://` keeps it in memory.
 * Returns the raw instance, connected as superuser `postgres`.
 * Throws ConnectionError when the directory cannot be used.
 */
export async function openPglite(dataDir: string): Promise<PGlite> {
  const isMemory = dataDir.startsWith(MEMORY_PREFIX);
  const where = describeDataDir(dataDir);

  try {
    if (!isMemory) await mkdir(where, { recursive: true });
    // Imported on demand: PGlite is large and a pg deployment never needs it.
    const { PGlite } = await import("@electric-sql/pglite");
    return await PGlite.create(where);
  } catch (err) {
    const reason = scrubSecrets(
      err instanceof Error ? err.message : String(err),
    );
    throw new ConnectionError(
      `cannot open the embedded database in ${where}: ${reason}`,
    );
  }
}

/** The absolute data directory, or `memory://` as given. */
export function describeDataDir(dataDir: string): string {
  return dataDir.startsWith(MEMORY_PREFIX) ? dataDir : resolve(dataDir);
}

/**
 * Wraps an open PGlite instance as a `Database`, after applying
 * sql/schema.sql to it (idempotent). `close()` closes the instance.
 *
 * PGlite runs one statement at a time and queues concurrent calls itself,
 * so callers may issue calls in parallel. statement_timeout has no effect
 * in PGlite. Throws the classified TaskError when the schema fails.
 */
export async function createPgliteDatabase(
  instance: PGlite,
  dataDir: string,
): Promise<Database> {
  const description = describeDataDir(dataDir);
  const schema = await readSqlFile("schema.sql");

  try {
    await instance.transaction(async (tx) => {
      await tx.exec(schema);
    });
  } catch (err) {
    throw classifyDbError(err);
  }

  let closing: Promise<void> | undefined;

  return {
    kind: "pglite",
    description,

    async callFunction(fn, args) {
      const sql = buildFunctionCall(fn, args.length);
      try {
        const result = await instance.query<{ r: unknown }>(sql, args);
        return functionResult(result.rows);
      } catch (err) {
        throw classifyDbError(err);
      }
    },

    async ping() {
      try {
        await instance.query("SELECT 1");
      } catch (err) {
        const failure = classifyDbError(err);
        const reason = failure.message;
        throw new ConnectionError(
          `embedded database ${description} is not usable: ${reason}`,
        );
      }
    },

    close() {
      closing ??= instance.closed
        ? Promise.resolve()
        : instance.close().catch(() => {
            // Nothing is left to release once closing has failed.
          });
      return closing;
    },
  };
}
