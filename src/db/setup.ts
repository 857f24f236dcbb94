/**
 * `batchctl db setup`: the reference schema, the batch role's grants and
 * optionally demo data, applied in one transaction, idempotently.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import {
  BatchError,
  ConfigError,
  ConnectionError,
  TaskError,
} from "../common/errors.js";
import { classifyDbError, isConnectionFailure } from "./classify-error.js";
import { parsePostgresUrl, withDatabase } from "./connection-url.js";
import { DEFAULT_PGLITE_DATA_DIR } from "./database.js";
import { describeDataDir, openPglite } from "./pglite.js";
import { CONNECT_TIMEOUT_MS } from "./postgres.js";
import { readSqlFile, type SqlFile } from "./sql-files.js";

/** Options of `setupDatabase`. */
export interface SetupOptions {
  /** postgres:// URL of a superuser (or the schema owner); unset: PGlite. */
  adminUrl?: string;
  /** PGlite data directory when `adminUrl` is unset. */
  dataDir?: string;
  /** Batch role to create if missing and grant EXECUTE to. */
  role: string;
  /** Also insert the demo tickets of sql/demo.sql (once). */
  demo: boolean;
}

/** What `setupDatabase` did; field names match `db setup --json`. */
export interface SetupReport {
  /** `user@host:port/db` or the PGlite directory. */
  database: string;
  /** The database (or PGlite directory) did not exist and was created. */
  created_database: boolean;
  /** The role that may execute the batch functions. */
  role: string;
  /** Demo tickets inserted by this run (0 when already there). */
  demo_tickets_added: number;
  /** Tickets in tickets.tickets after the run. */
  tickets_total: number;
}

/** Same rule as sql/grants.sql applies to `batchctl.role`. */
const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The database every PostgreSQL server has, used to create ours. */
const MAINTENANCE_DATABASE = "postgres";

/** Runs SQL inside the setup transaction, on pg or PGlite alike. */
interface SqlRunner {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

type Counts = Pick<SetupReport, "demo_tickets_added" | "tickets_total">;

/**
 * Applies sql/schema.sql, sql/grants.sql for `role` and, with `demo`,
 * sql/demo.sql, in one transaction. With `adminUrl`, a database named in
 * the URL that does not exist is created first. Running it again changes
 * nothing. Returns what it did.
 * Throws ConfigError for a bad role name or URL, ConnectionError when the
 * server cannot be reached, BatchError naming the failing file otherwise.
 */
export async function setupDatabase(opts: SetupOptions): Promise<SetupReport> {
  if (!ROLE_NAME.test(opts.role)) {
    throw new ConfigError(
      `role "${opts.role}" must be 1-63 letters, digits or _`,
    );
  }

  if (opts.adminUrl !== undefined) return setupPostgres(opts.adminUrl, opts);
  return setupPglite(opts.dataDir ?? DEFAULT_PGLITE_DATA_DIR, opts);
}

async function setupPostgres(
  adminUrl: string,
  opts: SetupOptions,
): Promise<SetupReport> {
  const url = parsePostgresUrl(adminUrl);
  const where = url.description;

  const existing = await connect(url.href, where, true);
  const created =
    existing === undefined &&
    (await createMissingDatabase(url.href, url.database, where));
  const client = existing ?? (await connect(url.href, where));

  try {
    await step("starting the transaction", where, () => client.query("BEGIN"));
    const counts = await applySetup(pgRunner(client), opts, where);
    await step("committing", where, () => client.query("COMMIT"));
    return {
      database: where,
      created_database: created,
      role: opts.role,
      ...counts,
    };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {
      // The failure being reported matters more; the session ends below.
    });
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

async function setupPglite(
  dataDir: string,
  opts: SetupOptions,
): Promise<SetupReport> {
  // initdb writes PG_VERSION: without it, PGlite creates a new cluster.
  const existed = existsSync(join(dataDir, "PG_VERSION"));
  const instance = await openPglite(dataDir);
  const where = describeDataDir(dataDir);

  try {
    const counts = await instance.transaction((tx) =>
      applySetup(
        {
          exec: async (sql) => void (await tx.exec(sql)),
          rows: async <T>(sql: string, params?: unknown[]) =>
            (await tx.query<T>(sql, params)).rows,
        },
        opts,
        where,
      ),
    );
    return {
      database: where,
      created_database: !existed,
      role: opts.role,
      ...counts,
    };
  } finally {
    await instance.close();
  }
}

async function applySetup(
  runner: SqlRunner,
  opts: SetupOptions,
  where: string,
): Promise<Counts> {
  // Two setups of one database at once would race on CREATE ... IF NOT
  // EXISTS; the second waits here until the first commits.
  await step("waiting for other setups", where, () =>
    runner.rows(
      "SELECT pg_catalog.pg_advisory_xact_lock(" +
        "pg_catalog.hashtext('batchctl db setup'))",
    ),
  );
  await step("setting the role name", where, () =>
    runner.rows("SELECT pg_catalog.set_config('batchctl.role', $1, true)", [
      opts.role,
    ]),
  );

  await applyFile(runner, "schema.sql", where);
  await applyFile(runner, "grants.sql", where);
  const before = await countTickets(runner, where);
  if (opts.demo) await applyFile(runner, "demo.sql", where);
  const after = await countTickets(runner, where);

  return {
    demo_tickets_added: after.demo - before.demo,
    tickets_total: after.total,
  };
}

async function applyFile(runner: SqlRunner, file: SqlFile, where: string) {
  const sql = await readSqlFile(file);
  await step(`applying sql/${file}`, where, () => runner.exec(sql));
}

/**
 * Rows: one, with `demo` (tickets titled 'Demo %') and `total` tickets.
 */
async function countTickets(runner: SqlRunner, where: string) {
  const rows = await step("counting tickets", where, () =>
    runner.rows<{ demo: number; total: number }>(
      "SELECT count(*) FILTER (WHERE titulo LIKE 'Demo %')::integer AS demo, " +
        "count(*)::integer AS total FROM tickets.tickets",
    ),
  );
  return rows[0] ?? { demo: 0, total: 0 };
}

/**
 * Connects one client to `href`. With `allowMissing`, returns undefined
 * when the database does not exist (SQLSTATE 3D000).
 */
async function connect(href: string, where: string): Promise<pg.Client>;
async function connect(
  href: string,
  where: string,
  allowMissing: true,
): Promise<pg.Client | undefined>;
async function connect(
  href: string,
  where: string,
  allowMissing = false,
): Promise<pg.Client | undefined> {
  const client = new pg.Client({
    connectionString: href,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "batchctl db setup",
  });
  // Errors of a dropped connection also reach the pending query, which
  // reports them; without a listener they would crash the process.
  client.on("error", () => {});

  try {
    await client.connect();
    return client;
  } catch (err) {
    const failure = classifyDbError(err);
    if (allowMissing && failure.codigo === "3D000") return undefined;
    throw new ConnectionError(
      `cannot connect to PostgreSQL at ${where}: ${failure.message}`,
    );
  }
}

/**
 * `CREATE DATABASE name` from the server's maintenance database. Returns
 * false when a concurrent setup created it first (42P04 or 23505).
 */
async function createMissingDatabase(
  href: string,
  name: string,
  where: string,
): Promise<boolean> {
  const maintenance = withDatabase(href, MAINTENANCE_DATABASE);
  const client = await connect(maintenance, where);

  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    const failure = classifyDbError(err);
    if (failure.codigo === "42P04" || failure.codigo === "23505") return false;
    throw setupFailure(failure, "creating the database", where);
  } finally {
    await client.end().catch(() => {});
  }
}

function pgRunner(client: pg.Client): SqlRunner {
  return {
    exec: async (sql) => void (await client.query(sql)),
    rows: async <T>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)).rows as T[],
  };
}

/** Runs `action`, turning its failure into one that names the step. */
async function step<T>(
  label: string,
  where: string,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw setupFailure(err, label, where);
  }
}

function setupFailure(err: unknown, label: string, where: string): BatchError {
  if (err instanceof BatchError && !(err instanceof TaskError)) return err;

  const failure = classifyDbError(err);
  if (isConnectionFailure(failure)) {
    return new ConnectionError(
      `lost the database ${where} while ${label}: ${failure.message}`,
    );
  }
  const code = failure.codigo ? ` (SQLSTATE ${failure.codigo})` : "";
  const reason = `${failure.message}${code}`;
  return new BatchError(`setup of ${where} failed while ${label}: ${reason}`);
}
