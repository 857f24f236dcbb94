/**
 * `Database` over a PostgreSQL server, through a pg pool.
 */
import pg from "pg";
import { ConnectionError } from "../common/errors.js";
import {
  classifyDbError,
  connectFailure,
  describeDbFailure,
  isConnectionFailure,
} from "./classify-error.js";
import { parsePostgresUrl } from "./connection-url.js";
import type { Database } from "./database.js";
import { buildFunctionCall, functionResult } from "./function-call.js";
import { createPreparedCalls } from "./prepared-calls.js";

/** How long to wait for a connection before the call fails as transient. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Shown in pg_stat_activity, so DBAs can tell batchctl's sessions apart. */
const APPLICATION_NAME = "batchctl";

/** Options of `createPostgresDatabase`; see `DatabaseOptions`. */
export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number | undefined;
  prepareStatements: boolean;
  onError: ((err: Error) => void) | undefined;
  onNotice: ((message: string) => void) | undefined;
}

/**
 * Returns a `Database` backed by a pg pool. Connects lazily.
 * Throws ConfigError when `url` is not a postgres:// URL.
 */
export function createPostgresDatabase(opts: PostgresOptions): Database {
  const url = parsePostgresUrl(opts.url);
  const pool = new pg.Pool({
    connectionString: url.href,
    max: opts.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: APPLICATION_NAME,
    keepAlive: true,
    ...(opts.statementTimeoutMs !== undefined && {
      statement_timeout: opts.statementTimeoutMs,
    }),
  });

  // An idle pooled connection that dies (server restart, network cut)
  // emits 'error' on the pool; unhandled, that would crash the process.
  // The pool drops the connection itself; the next call opens a new one.
  pool.on("error", (err) => opts.onError?.(classifyDbError(err)));

  let closing: Promise<void> | undefined;
  const calls = createPreparedCalls({
    isOn: opts.prepareStatements,
    onNotice: opts.onNotice,
  });

  return {
    kind: "postgres",
    description: url.description,

    async callFunction(fn, args) {
      const sql = buildFunctionCall(fn, args.length);
      // Connecting is a step of its own: a login refused mid-run (42501,
      // 55000, 28xxx) means the database is away, not that the task is bad.
      const client = await pool.connect().catch((err: unknown) => {
        throw connectFailure(err);
      });
      // A socket error while checked out is emitted on the client, not
      // on the pool; unheard it would crash the process. The query fails too.
      const ignore = () => undefined;
      client.on("error", ignore);
      try {
        const result = await calls.run(client, sql, args);
        client.release();
        return functionResult(result.rows);
      } catch (err) {
        const failure = classifyDbError(err);
        // A connection that broke must not go back to the pool.
        client.release(isConnectionFailure(failure) ? failure : undefined);
        throw failure;
      } finally {
        client.off("error", ignore);
      }
    },

    async ping() {
      try {
        await pool.query("SELECT 1");
      } catch (err) {
        throw new ConnectionError(
          `PostgreSQL ${url.description} is not usable: ${describeDbFailure(err)}`,
        );
      }
    },

    close() {
      // pg throws when end() is called twice; hand back the first promise.
      closing ??= pool.end().catch((err: unknown) => {
        opts.onError?.(classifyDbError(err));
      });
      return closing;
    },
  };
}
