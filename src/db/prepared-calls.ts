/**
 * Function calls as named prepared statements: PostgreSQL parses and
 * plans each call once per connection instead of once per task.
 *
 * A prepared statement keeps what its parse found: the function it
 * resolved to and its argument types. Two things undo that: a pooler that
 * moves connections between server sessions (preparing then stops for
 * good), and a function or type dropped and created again (the call is
 * prepared anew). Both show up as an error while binding, which comes
 * before the function runs: such a call is sent again unnamed. What
 * changes without an error, such as a new overload that a fresh parse
 * would prefer, is caught up with by preparing every call anew each
 * RENEW_MS.
 *
 * Knowing whether the server got past binding, and freeing a renewed
 * statement on the client side too, takes two parts of pg's connection
 * object that pg does not document (its `bindComplete` event and its
 * `parsedStatements` map); `test/integration/db/prepared.test.ts` checks
 * both against the pg in package-lock.json.
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
 * SQLSTATE classes of what a stale statement meets while binding: 42
 * (42883: no function takes the old argument types), 22 (22P02: a value
 * the old type cannot read), XX (XX000: cache lookup failed for a type
 * created again), 0A (0A000: a plan whose result type changed). Others
 * (a cancel, a lost connection) are not sent again.
 */
const STALE_CLASSES = new Set(["42", "22", "XX", "0A"]);

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

/** The fields of a server error that say what was refused. */
export interface ServerErrorFields {
  code?: unknown;
  message?: unknown;
}

/** What this module uses of pg's connection object (see the header). */
interface PgConnection {
  on(event: "bindComplete", listener: () => void): unknown;
  parsedStatements: Record<string, string>;
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
 * True when `err`, raised before the server got past binding a prepared
 * call, may come from a statement prepared for a function or type that
 * has since changed.
 */
export function mayBeStale(err: ServerErrorFields): boolean {
  const { code } = err;
  return typeof code === "string" && STALE_CLASSES.has(code.slice(0, 2));
}

/** pg's connection of `client`, when it has the parts used here. */
function connectionOf(client: pg.PoolClient): PgConnection | undefined {
  const connection = (client as { connection?: Partial<PgConnection> })
    .connection;
  const hasParts =
    typeof connection?.on === "function" &&
    typeof connection.parsedStatements === "object";
  return hasParts ? (connection as PgConnection) : undefined;
}

/** What is known of one connection. */
interface ConnectionState {
  /** BindComplete messages received so far. */
  binds: number;
  /** The name this connection prepared each SQL under. */
  names: Map<string, string>;
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
  const states = new WeakMap<PgConnection, ConnectionState>();

  const nameOf = (sql: string): string => {
    let hash = hashes.get(sql);
    if (hash === undefined) {
      hash = createHash("sha256").update(sql).digest("hex").slice(0, 24);
      hashes.set(sql, hash);
    }
    const generation = Math.floor(now() / RENEW_MS) + bumps;
    return `batchctl_${hash}_${generation}`;
  };

  const stateOf = (connection: PgConnection): ConnectionState => {
    let state = states.get(connection);
    if (state === undefined) {
      const created: ConnectionState = { binds: 0, names: new Map() };
      connection.on("bindComplete", () => created.binds++);
      states.set(connection, created);
      state = created;
    }
    return state;
  };

  /** A refused statement: preparing is off for good (one notice). */
  const stopPreparing = (reason: string) => {
    if (!isPreparing) return;
    isPreparing = false;
    const advice = "set BATCH_PG_PREPARE=off to start that way";
    opts.onNotice?.(
      `PostgreSQL refused a prepared statement (${reason}): a connection pooler? ` +
        `Calling functions without them from now on; ${advice}`,
    );
  };

  /** A stale statement that an unnamed call got past: prepare anew. */
  const prepareAgain = (name: string, sql: string, reason: string) => {
    // Calls in flight with the same stale name: one new generation.
    if (nameOf(sql) !== name) return;
    bumps++;
    opts.onNotice?.(
      `a prepared function call no longer matched the database (${reason}): ` +
        "a function or type created again? Preparing it anew",
    );
  };

  /**
   * Frees `older`, the name `connection` held a call under before, on the
   * server and in pg's own record of it, so that renewing leaves one
   * statement per call on each connection.
   */
  const freeOlder = async (
    client: pg.PoolClient,
    connection: PgConnection,
    older: string,
  ) => {
    // A session that lost it already (a server restart) has none to free.
    await client.query(`DEALLOCATE ${older}`).catch(() => null);
    delete connection.parsedStatements[older];
  };

  const unnamed = (client: pg.PoolClient, sql: string, args: unknown[]) =>
    client.query<{ r: unknown }>(sql, args);

  return {
    async run(client, sql, args) {
      const connection = isPreparing ? connectionOf(client) : undefined;
      if (connection === undefined) return unnamed(client, sql, args);
      const name = nameOf(sql);
      const state = stateOf(connection);
      const older = state.names.get(sql);
      if (older !== name) {
        state.names.set(sql, name);
        if (older !== undefined) await freeOlder(client, connection, older);
      }

      const bindsBefore = state.binds;
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
          return unnamed(client, sql, args);
        }
        // Past binding, the function may have run: never send it again.
        const hasBound = state.binds > bindsBefore;
        if (hasBound || !mayBeStale(fields)) throw err;
        // A value that is bad for the function as it is fails the
        // unnamed call the same way, and that error is the one thrown.
        const result = await unnamed(client, sql, args);
        prepareAgain(name, sql, reason);
        return result;
      }
    },
  };
}
