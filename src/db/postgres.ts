/**
 * `Database` over a PostgreSQL server, through a pg pool.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { ConnectionError } from "../common/errors.js";
import {
  classifyDbError,
  connectFailure,
  isConnectionFailure,
} from "./classify-error.js";
import { parsePostgresUrl } from "./connection-url.js";
import type { Database } from "./database.js";
import { buildFunctionCall, functionResult } from "./function-call.js";

/** How long to wait for a connection before the call fails as transient. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Shown in pg_stat_activity, so DBAs can tell batchctl's sessions apart. */
const APPLICATION_NAME = "batchctl";

/**
 * SQLSTATEs of a server session that lacks a statement prepared on this
 * connection (26000) or holds one of that name already (42P05): what a
 * pooler in transaction mode (PgBouncer before 1.21, or without
 * max_prepared_statements) does to named statements. Either is raised
 * before the function runs, so the call may be sent again.
 */
const STATEMENT_MISSING = "26000";
/** PgBouncer refusing the statement_timeout that pg sends at login. */
const BOUNCER_REFUSES_TIMEOUT =
  /unsupported startup parameter: statement_timeout/;
const STATEMENT_TAKEN = "42P05";

/** Options of `createPostgresDatabase`; see `DatabaseOptions`. */
export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number | undefined;
  prepareStatements: boolean;
  onError: ((err: Error) => void) | undefined;
  onNotice: ((message: string) => void) | undefined;
}

/** Names of prepared calls, by SQL; a handful (one per function). */
const statementNames = new Map<string, string>();

/**
 * The prepared statement name of `sql`: its hash, so that one name always
 * means one text, even on a server session that another batchctl process
 * prepared it on (behind a pooler).
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    const hash = createHash("sha256").update(sql).digest("hex");
    name = `batchctl_${hash.slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * True when `err` is the server refusing statement `name` itself, not a
 * function that raised 26000 of its own while running.
 */
function isStatementRefusal(err: unknown, name: string): boolean {
  const { code, message } = (err ?? {}) as {
    code?: unknown;
    message?: unknown;
  };
  const isOurs = typeof message === "string" && message.includes(`"${name}"`);
  return isOurs && (code === STATEMENT_MISSING || code === STATEMENT_TAKEN);
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
  let isPreparing = opts.prepareStatements;

  /**
   * Runs `sql` on `client`, as a named statement while the server keeps
   * them: each connection then parses and plans the call once instead of
   * on every task. A refused statement turns preparing off for good (a
   * pooler shares server sessions) and sends the call again unnamed.
   */
  const runCall = async (
    client: pg.PoolClient,
    sql: string,
    args: unknown[],
  ) => {
    if (!isPreparing) return client.query<{ r: unknown }>(sql, args);
    const name = statementName(sql);
    try {
      return await client.query<{ r: unknown }>({
        name,
        text: sql,
        values: args,
      });
    } catch (err) {
      if (!isStatementRefusal(err, name)) throw err;
      // Calls in flight at the switch may each be refused: one notice.
      if (isPreparing) {
        isPreparing = false;
        const reason = (err as Error).message;
        opts.onNotice?.(
          `PostgreSQL refused a prepared statement (${reason}): a pooler in transaction mode? Calling functions without them from now on; set BATCH_PG_PREPARE=off to start that way`,
        );
      }
      return client.query<{ r: unknown }>(sql, args);
    }
  };

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
        const result = await runCall(client, sql, args);
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
        const failure = classifyDbError(err);
        const code = failure.codigo ? ` (${failure.codigo})` : "";
        const hint = BOUNCER_REFUSES_TIMEOUT.test(failure.message)
          ? "; add statement_timeout to PgBouncer's ignore_startup_parameters"
          : "";
        const reason = `${failure.message}${code}${hint}`;
        throw new ConnectionError(
          `PostgreSQL ${url.description} is not usable: ${reason}`,
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
