/**
 * Function calls as named prepared statements: PostgreSQL parses and
 * plans each call once per connection instead of once per task. Two
 * things undo a prepared statement, and both are handled here by sending
 * the call again unnamed (each is raised before the function runs):
 * a pooler that moves connections between server sessions, and a
 * function whose arguments changed since it was prepared.
 */
import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * SQLSTATEs of a server session that lacks a statement prepared on this
 * connection (26000) or holds one of that name already (42P05): what a
 * pooler in transaction mode (PgBouncer before 1.21, or without
 * max_prepared_statements) does to named statements.
 */
const STATEMENT_MISSING = "26000";
const STATEMENT_TAKEN = "42P05";

/**
 * SQLSTATEs of a statement prepared for the arguments a function had:
 * after `DROP FUNCTION f(int); CREATE FUNCTION f(text)` the prepared call
 * still passes an integer, so it finds no function (42883, or 42725 when
 * several match) or cannot read "x" as one (22P02), where a fresh parse
 * would work. The same codes from bad task data fail the unnamed call
 * too: such a task costs one more round trip.
 */
const MAY_BE_STALE = new Set(["42883", "42725", "22P02"]);

/** The one row shape of a function call. */
type CallResult = pg.QueryResult<{ r: unknown }>;

/** Options of `createPreparedCalls`. */
export interface PreparedCallsOptions {
  /** Whether to prepare at all (BATCH_PG_PREPARE). */
  isOn: boolean;
  /** Told, in one sentence, when preparing changes course. */
  onNotice: ((message: string) => void) | undefined;
}

/** Runs function calls, prepared while the server keeps them. */
export interface PreparedCalls {
  /** Runs `sql` with `args` on `client`; throws what the query throws. */
  run(client: pg.PoolClient, sql: string, args: unknown[]): Promise<CallResult>;
}

/** The error's SQLSTATE and message, when it has them. */
function fieldsOf(err: unknown): { code: unknown; message: unknown } {
  const { code, message } = (err ?? {}) as {
    code?: unknown;
    message?: unknown;
  };
  return { code, message };
}

/**
 * Creates the runner. Statement names are a hash of the SQL and a
 * generation: one name always means one text, even on a server session
 * that another batchctl process prepared it on (behind a pooler).
 */
export function createPreparedCalls(opts: PreparedCallsOptions): PreparedCalls {
  let isPreparing = opts.isOn;
  let generation = 0;
  /** The name in use per SQL; a handful (one per function). */
  const names = new Map<string, string>();

  const nameOf = (sql: string): string => {
    let name = names.get(sql);
    if (name === undefined) {
      const hash = createHash("sha256").update(sql).digest("hex");
      name = `batchctl_${hash.slice(0, 24)}_${generation}`;
      names.set(sql, name);
    }
    return name;
  };

  /** A refused statement: preparing is off for good (one notice). */
  const stopPreparing = (reason: string) => {
    if (!isPreparing) return;
    isPreparing = false;
    opts.onNotice?.(
      `PostgreSQL refused a prepared statement (${reason}): a pooler in transaction mode? Calling functions without them from now on; set BATCH_PG_PREPARE=off to start that way`,
    );
  };

  /** A stale plan that an unnamed call got past: prepare it anew. */
  const prepareAgain = (sql: string, name: string, reason: string) => {
    if (names.get(sql) !== name) return;
    generation++;
    names.delete(sql);
    opts.onNotice?.(
      `a prepared function call no longer matched its function (${reason}): its arguments changed? Preparing it again`,
    );
  };

  return {
    async run(client, sql, args) {
      if (!isPreparing) return client.query<{ r: unknown }>(sql, args);
      const name = nameOf(sql);
      try {
        return await client.query<{ r: unknown }>({
          name,
          text: sql,
          values: args,
        });
      } catch (err) {
        const { code, message } = fieldsOf(err);
        const reason = String(message);
        // Only a refusal of our own statement, not a function that raised
        // 26000 itself while running.
        const isRefusal =
          (code === STATEMENT_MISSING || code === STATEMENT_TAKEN) &&
          reason.includes(`"${name}"`);
        if (isRefusal) {
          stopPreparing(reason);
          return client.query<{ r: unknown }>(sql, args);
        }
        if (typeof code !== "string" || !MAY_BE_STALE.has(code)) throw err;
        // Rolled back, whatever ran: the unnamed call decides. A function
        // that is really missing, or a value that really is bad, fails it
        // the same way.
        const result = await client.query<{ r: unknown }>(sql, args);
        prepareAgain(sql, name, reason);
        return result;
      }
    },
  };
}
