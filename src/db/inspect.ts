/**
 * What `batchctl doctor` asks PostgreSQL: is it there, how fast, and may
 * the configured role execute each configured function. Read-only.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { ConnectionError } from "../common/errors.js";
import { describeDbFailure } from "./classify-error.js";
import { DEFAULT_STATEMENT_TIMEOUT_MS } from "./database.js";
import { parsePostgresUrl } from "./connection-url.js";
import { describeDataDir, openPglite } from "./pglite.js";
import { CONNECT_TIMEOUT_MS } from "./postgres.js";

/** One configured function, as the connected role sees it. */
export interface FunctionAccess {
  /** `schema.name` or `name` as configured. */
  name: string;
  /** Signatures found under that name, e.g. `batch.generar_reporte(date)`. */
  signatures: string[];
  /** The role may use the schema and EXECUTE at least one of them. */
  executable: boolean;
}

/** What `inspectDatabase` found. */
export interface DatabaseHealth {
  kind: "postgres" | "pglite";
  /** `user@host:port/db` or the PGlite directory; never a password. */
  description: string;
  /** Round trip of `SELECT 1`, ms. */
  latency_ms: number;
  /** The role connected (the batch role for a URL). */
  role: string;
  functions: FunctionAccess[];
}

/** Options of `inspectDatabase`. */
export interface InspectOptions {
  /** postgres:// URL of the batch role; unset: PGlite in `dataDir`. */
  url?: string;
  dataDir: string;
  /** Function names to check (`schema.name` or `name`). */
  functions: string[];
}

/** The minimal query surface shared by pg.Client and PGlite. */
interface Runner {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * Lists the functions named `$1` (`schema.name`, or `name` looked up on
 * the search path) with whether the current role may call them: USAGE on
 * the schema and EXECUTE on the function.
 * Parameters: $1 schema or null, $2 name. Rows: signature, executable.
 */
const FUNCTION_ACCESS_SQL = `
SELECT p.oid::regprocedure::text AS signature,
       has_schema_privilege(n.oid, 'USAGE')
         AND has_function_privilege(p.oid, 'EXECUTE') AS executable
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = $2
  AND (n.nspname = $1 OR ($1 IS NULL AND n.nspname = ANY (current_schemas(true))))
ORDER BY 1`;

/**
 * Connects as the configured role (or opens PGlite, only if its directory
 * already exists: doctor never creates it), times `SELECT 1` and checks
 * each function with `functionAccess`.
 * Throws ConnectionError when the database cannot be reached or opened.
 */
export async function inspectDatabase(
  options: InspectOptions,
): Promise<DatabaseHealth> {
  if (options.url !== undefined) return inspectPostgres(options.url, options);

  const where = describeDataDir(options.dataDir);
  if (!existsSync(join(where, "PG_VERSION"))) {
    throw new ConnectionError(
      `the embedded database ${where} does not exist yet: run batchctl db setup`,
    );
  }
  // TODO: PGlite has no lock between processes; opening the directory
  // while a worker uses it is read-only here but not guarded.
  const instance = await openPglite(options.dataDir);
  try {
    return await inspectWith(instance, "pglite", where, options.functions);
  } finally {
    await instance.close().catch(() => undefined);
  }
}

async function inspectPostgres(
  url: string,
  options: InspectOptions,
): Promise<DatabaseHealth> {
  const parsed = parsePostgresUrl(url);
  const client = new pg.Client({
    connectionString: parsed.href,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "batchctl doctor",
    // What `work` logs in with: a pooler that refuses it fails here too.
    statement_timeout: DEFAULT_STATEMENT_TIMEOUT_MS,
  });
  client.on("error", () => {
    // The failing query reports it.
  });
  try {
    await client.connect();
    return await inspectWith(
      client,
      "postgres",
      parsed.description,
      options.functions,
    );
  } catch (err) {
    if (err instanceof ConnectionError) throw err;
    throw new ConnectionError(
      `PostgreSQL ${parsed.description} is not usable: ${describeDbFailure(err)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function inspectWith(
  runner: Runner,
  kind: DatabaseHealth["kind"],
  description: string,
  functions: string[],
): Promise<DatabaseHealth> {
  const started = performance.now();
  await runner.query("SELECT 1");
  const latency = performance.now() - started;

  const role = await runner.query<{ role: string }>(
    "SELECT current_user::text AS role",
  );
  const access: FunctionAccess[] = [];
  for (const name of functions) access.push(await functionAccess(runner, name));
  return {
    kind,
    description,
    latency_ms: latency,
    role: role.rows[0]?.role ?? "?",
    functions: access,
  };
}

/** Checks one function name with FUNCTION_ACCESS_SQL. */
async function functionAccess(
  runner: Runner,
  name: string,
): Promise<FunctionAccess> {
  const [schema, fn] = name.includes(".")
    ? (name.split(".", 2) as [string, string])
    : [null, name];
  const { rows } = await runner.query<{
    signature: string;
    executable: boolean;
  }>(FUNCTION_ACCESS_SQL, [schema, fn]);
  return {
    name,
    signatures: rows.map((row) => row.signature),
    executable: rows.some((row) => row.executable),
  };
}
