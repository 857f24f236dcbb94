/**
 * Finds and reads the SQL files under the repository's `sql/` directory.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { BatchError } from "../common/errors.js";

/** The files `batchctl db setup` applies, in this order. */
export type SqlFile = "schema.sql" | "grants.sql" | "demo.sql";

/**
 * Where `sql/` may sit relative to this module: two levels up when vitest
 * or tsx runs `src/db/*.ts`, three when tsc's output runs from
 * `dist/src/db/`. The package ships `sql/` next to `dist/`.
 */
const SQL_DIR_CANDIDATES = ["../../sql/", "../../../sql/"];

let sqlDir: URL | undefined;
const contents = new Map<SqlFile, string>();

/**
 * Returns the absolute path of the `sql/` directory.
 * Throws BatchError when neither candidate holds `schema.sql`, which means
 * a broken install.
 */
export function sqlDirectory(): string {
  sqlDir ??= findSqlDir();
  return fileURLToPath(sqlDir);
}

/**
 * Returns the text of one file from `sql/`, read once per process.
 * Throws BatchError when the directory is missing, or the fs error.
 */
export async function readSqlFile(name: SqlFile): Promise<string> {
  const cached = contents.get(name);
  if (cached !== undefined) return cached;

  sqlDir ??= findSqlDir();
  const text = await readFile(new URL(name, sqlDir), "utf8");

  contents.set(name, text);
  return text;
}

function findSqlDir(): URL {
  for (const candidate of SQL_DIR_CANDIDATES) {
    const dir = new URL(candidate, import.meta.url);
    if (existsSync(new URL("schema.sql", dir))) return dir;
  }
  const tried = SQL_DIR_CANDIDATES.map((candidate) =>
    fileURLToPath(new URL(candidate, import.meta.url)),
  ).join(", ");
  throw new BatchError(
    `sql/schema.sql not found (looked in ${tried}); reinstall batchctl`,
  );
}
