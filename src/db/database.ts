/**
 * The database the worker calls: a PostgreSQL pool, or embedded PGlite
 * when no URL is configured.
 */
import { ConfigError } from "../common/errors.js";
import { createPgliteDatabase, openPglite } from "./pglite.js";
import { createPostgresDatabase } from "./postgres.js";

/** Where the embedded database lives unless `dataDir` says otherwise. */
export const DEFAULT_PGLITE_DATA_DIR = ".batchctl/pgdata";

/** A connection to the ticket database, as the worker and commands use it. */
export interface Database {
  /** `postgres` for a server reached by URL, `pglite` for the embedded one. */
  readonly kind: "postgres" | "pglite";
  /** `user@host:port/db` or the data directory; never a password. */
  readonly description: string;
  /**
   * Calls function `fn` (`name` or `schema.name`) with positional `args`.
   * Returns the result as plain JS: a scalar (integer -> number), the
   * object of a jsonb or composite result, null for void or no rows, an
   * array when a set-returning function yields several rows.
   * Arguments go untyped, so the server picks the function by name and
   * argument count: an overloaded or polymorphic name may be ambiguous
   * (42725, 42P18), which the batch functions never are.
   * Throws ConfigError for an invalid name, TaskError for any failure
   * (see `classifyDbError`).
   */
  callFunction(fn: string, args: unknown[]): Promise<unknown>;
  /**
   * Runs a trivial query. Throws ConnectionError naming the database and
   * the reason when it cannot be used.
   */
  ping(): Promise<void>;
  /** Releases every connection; safe to call twice. Never throws. */
  close(): Promise<void>;
}

/**
 * `work --task-timeout` by default, in ms: the statement_timeout its
 * connections log in with, which `doctor` logs in with too.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;

/** Options of `createDatabase`. */
export interface DatabaseOptions {
  /** postgres:// URL of the batch role; unset means embedded PGlite. */
  url?: string;
  /** PGlite data directory (default `.batchctl/pgdata`), or `memory://`. */
  dataDir?: string;
  /** Pool size for PostgreSQL (at least 1); PGlite has one connection. */
  poolSize: number;
  /**
   * Server-side statement_timeout in ms for PostgreSQL; a call cut short
   * fails as `transitorio` with codigo 57014. PGlite ignores it.
   */
  statementTimeoutMs?: number;
  /**
   * Calls each function as a named prepared statement (default true), so
   * that PostgreSQL parses and plans it once per connection. Turned off
   * by itself, with `onNotice`, when a pooler in transaction mode refuses
   * them. PGlite ignores it.
   */
  prepareStatements?: boolean;
  /** Told, in one sentence, about a change of behaviour worth logging. */
  onNotice?: (message: string) => void;
  /**
   * Told about errors that have no caller to throw to: an idle pooled
   * connection dying, or closing the pool failing. Gets a TaskError.
   */
  onError?: (err: Error) => void;
}

/**
 * Opens the ticket database. With `url`, returns a pg pool of `poolSize`
 * connections; it connects lazily, so a database that is down shows up on
 * the first call or `ping`. Without `url`, opens (creating it if needed)
 * embedded PGlite in `dataDir` and applies sql/schema.sql to it; only one
 * process may have a PGlite directory open at a time.
 * Throws ConfigError for a bad URL or pool size, ConnectionError when the
 * PGlite directory cannot be opened, TaskError when its schema fails.
 */
export async function createDatabase(opts: DatabaseOptions): Promise<Database> {
  if (!Number.isInteger(opts.poolSize) || opts.poolSize < 1) {
    throw new ConfigError(
      `database pool size must be 1 or more, got ${opts.poolSize}`,
    );
  }
  const timeout = opts.statementTimeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 0)) {
    throw new ConfigError(
      `statement timeout must be whole milliseconds, got ${timeout}`,
    );
  }

  if (opts.url !== undefined) {
    return createPostgresDatabase({
      url: opts.url,
      poolSize: opts.poolSize,
      statementTimeoutMs: timeout,
      prepareStatements: opts.prepareStatements ?? true,
      onError: opts.onError,
      onNotice: opts.onNotice,
    });
  }

  const dataDir = opts.dataDir ?? DEFAULT_PGLITE_DATA_DIR;
  const instance = await openPglite(dataDir);
  try {
    return await createPgliteDatabase(instance, dataDir);
  } catch (err) {
    await instance.close().catch(() => {
      // The schema failure is the one worth reporting.
    });
    throw err;
  }
}
