/**
 * Function calls as named prepared statements: PostgreSQL parses and
 * plans each call once per connection instead of once per task.
 *
 * A prepared statement keeps what its parse found: the function it
 * resolved to and its argument types. Two things undo that, and both are
 * handled here by sending the call again unnamed, which is safe since
 * each is raised before the function runs: a pooler that moves
 * connections between server sessions (preparing then stops for good),
 * and a function or type dropped and created again (the call is
 * prepared anew). What raises no error at all, such as a new overload
 * that a fresh parse would prefer, is caught up with by preparing every
 * call anew each RENEW_MS.
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
 * After `DROP FUNCTION f(int); CREATE FUNCTION f(text)` the prepared call
 * still passes an integer and finds no function: 42883, or 42725 when
 * several match, raised while planning the call itself (the error has no
 * context lines, unlike one raised inside a function's body).
 */
const FUNCTION_NOT_FOUND = new Set(["42883", "42725"]);

/**
 * PostgreSQL routines that fail with XX000 "cache lookup failed for
 * type" when a parameter's type was dropped and created again since the
 * call was prepared (a domain, say). Routine names are never translated.
 */
const TYPE_LOOKUP_ROUTINES = new Set([
  "getTypeInputInfo",
  "getTypeBinaryInputInfo",
]);

/**
 * How long a prepared call is used before it is prepared anew, so that
 * what changed in the database without an error (a new overload of the
 * function) reaches running workers within this time.
 */
export const RENEW_MS = 60_000;

/** The one row shape of a function call. */
type CallResult = pg.QueryResult<{ r: unknown }>;

/** Options of `createPreparedCalls`. */
export interface PreparedCallsOptions {
  /** Whether to prepare at all (BATCH_PG_PREPARE). */
  isOn: boolean;
  /** Told, in one sentence, when preparing changes course. */
  onNotice: ((message: string) => void) | undefined;
  /** A monotonic clock in ms (default performance.now); tests move it. */
  now?: () => number;
}

/** Runs function calls, prepared while the server keeps them. */
export interface PreparedCalls {
  /** Runs `sql` with `args` on `client`; throws what the query throws. */
  run(client: pg.PoolClient, sql: string, args: unknown[]): Promise<CallResult>;
}

/** The fields of a server error that tell where it was raised. */
export interface ServerErrorFields {
  code?: unknown;
  message?: unknown;
  where?: unknown;
  routine?: unknown;
}

/**
 * True when `err` says the server session does not keep statement `name`
 * (or keeps one of that name already), in any language.
 */
export function isRefusal(err: ServerErrorFields, name: string): boolean {
  // The name, not the quotes around it: translations quote it «» or »«.
  const isOurs = typeof err.message === "string" && err.message.includes(name);
  return (
    isOurs && (err.code === STATEMENT_MISSING || err.code === STATEMENT_TAKEN)
  );
}

/**
 * True when `err` says the statement was prepared for a function or type
 * that has since been created again, not that the function itself failed.
 */
export function isStale(err: ServerErrorFields): boolean {
  if (err.code === "XX000") {
    return TYPE_LOOKUP_ROUTINES.has(err.routine as string);
  }
  return FUNCTION_NOT_FOUND.has(err.code as string) && err.where === undefined;
}

/**
 * Creates the runner. A statement's name is a hash of its SQL and a
 * generation: one name always means one text, even on a server session
 * that another batchctl process prepared it on (behind a pooler).
 */
export function createPreparedCalls(opts: PreparedCallsOptions): PreparedCalls {
  // Monotonic: a name must never come back (pg would skip its parse).
  const now = opts.now ?? (() => performance.now());
  let isPreparing = opts.isOn;
  /** Generations skipped because a statement went stale. */
  let bumps = 0;
  const hashes = new Map<string, string>();
  /** The name each connection prepared each SQL under. */
  const preparedOn = new WeakMap<pg.PoolClient, Map<string, string>>();

  const nameOf = (sql: string): string => {
    let hash = hashes.get(sql);
    if (hash === undefined) {
      hash = createHash("sha256").update(sql).digest("hex").slice(0, 24);
      hashes.set(sql, hash);
    }
    const generation = Math.floor(now() / RENEW_MS) + bumps;
    return `batchctl_${hash}_${generation}`;
  };

  /** A refused statement: preparing is off for good (one notice). */
  const stopPreparing = (reason: string) => {
    if (!isPreparing) return;
    isPreparing = false;
    opts.onNotice?.(
      `PostgreSQL refused a prepared statement (${reason}): a connection pooler? Calling functions without them from now on; set BATCH_PG_PREPARE=off to start that way`,
    );
  };

  /** A stale statement that an unnamed call got past: prepare anew. */
  const prepareAgain = (name: string, sql: string, reason: string) => {
    // Calls in flight with the same stale name: one new generation.
    if (nameOf(sql) !== name) return;
    bumps++;
    opts.onNotice?.(
      `a prepared function call no longer matched the database (${reason}): a function or type created again? Preparing it anew`,
    );
  };

  /**
   * Records that `client` now prepares `sql` as `name`; returns the name
   * it prepared it under before, if another, for the caller to free, so
   * that renewing leaves one statement per call on each connection.
   */
  const swapName = (client: pg.PoolClient, sql: string, name: string) => {
    let names = preparedOn.get(client);
    if (names === undefined) {
      names = new Map();
      preparedOn.set(client, names);
    }
    const older = names.get(sql);
    if (older === name) return undefined;
    names.set(sql, name);
    return older;
  };

  return {
    async run(client, sql, args) {
      if (!isPreparing) return client.query<{ r: unknown }>(sql, args);
      const name = nameOf(sql);
      const older = swapName(client, sql, name);
      // A session that lost it already (a server restart) has none to free.
      if (older) await client.query(`DEALLOCATE ${older}`).catch(() => null);
      try {
        return await client.query<{ r: unknown }>({
          name,
          text: sql,
          values: args,
        });
      } catch (err) {
        const fields = (err ?? {}) as ServerErrorFields;
        const reason = String(fields.message);
        if (isRefusal(fields, name)) {
          stopPreparing(reason);
          return client.query<{ r: unknown }>(sql, args);
        }
        if (!isStale(fields)) throw err;
        // Raised before the function ran: the unnamed call decides. A
        // function that is really missing fails it the same way.
        const result = await client.query<{ r: unknown }>(sql, args);
        prepareAgain(name, sql, reason);
        return result;
      }
    },
  };
}
