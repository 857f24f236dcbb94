/**
 * Database failures become `TaskError`s here, once, where they enter:
 * classed by SQLSTATE (DESIGN.md section 4) or, when the server never
 * answered, by the Node socket error or the pg client's own message.
 */
import { TaskError } from "../common/errors.js";
import { redact } from "../common/redact.js";

/** Node socket error codes that mean the server could not be reached. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

/**
 * Client-side failures that pg and PGlite report by message only, each with
 * the kind recorded as `codigo`. All of them mean "no usable connection".
 */
const CLIENT_FAILURES: ReadonlyArray<readonly [RegExp, string]> = [
  [/connection terminated/i, "connection_terminated"],
  [/timeout exceeded when trying to connect/i, "connect_timeout"],
  [/not queryable/i, "connection_lost"],
  [/calling end on the pool|called end on pool/i, "pool_closed"],
  [/pglite is closed/i, "database_closed"],
];

/** SQLSTATEs worth a retry: the same call may well succeed later. */
const TRANSIENT_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57014", // query_canceled, which statement_timeout raises
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "57P05", // idle_session_timeout: the session is gone, not the data
]);

/** SQLSTATEs that mean the connection itself is gone or refused. */
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "57P05"]);

/** SQLSTATE classes that are transient as a whole. */
const TRANSIENT_CLASSES = ["08", "53"];

/**
 * A SQLSTATE: five digits or capitals. No SQLSTATE class starts with "E",
 * while Node's errno codes (EPIPE, EBUSY) always do.
 */
const SQLSTATE = /^[0-9A-DF-Z][0-9A-Z]{4}$/;

/** A URL's user:password@ part, in case a message quotes a URL. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;

/**
 * Translates a failure from pg or PGlite into a `TaskError`.
 *
 * Returns `transitorio` for lost or refused connections (codigo: the Node
 * code such as `ECONNREFUSED`, or a kind such as `connection_terminated`)
 * and for SQLSTATEs 08xxx, 53xxx, 57P0x, 40001, 40P01, 55P03 and 57014;
 * `permanente` for every other SQLSTATE (codigo: the SQLSTATE) and for
 * anything unrecognised. The message is the server's or client's own,
 * with passwords removed. A `TaskError` is returned unchanged. Never throws.
 */
export function classifyDbError(err: unknown): TaskError {
  if (err instanceof TaskError) return err;
  const message = messageOf(err);

  const network = networkCode(err);
  if (network) return new TaskError("transitorio", message, network);

  const sqlstate = sqlstateOf(err);
  if (sqlstate) {
    const clase = isTransientSqlstate(sqlstate) ? "transitorio" : "permanente";
    return new TaskError(clase, message, sqlstate);
  }

  const failure = CLIENT_FAILURES.find(([pattern]) => pattern.test(message));
  if (failure) return new TaskError("transitorio", message, failure[1]);

  return new TaskError("permanente", message);
}

/**
 * Codigo of a failure to open a connection, whatever the reason (refused,
 * login denied, too many clients): the database is away, not the task.
 */
export const CONNECT_FAILED = "connect_failed";

/**
 * Wraps a failure to obtain a connection as a transient TaskError with
 * codigo CONNECT_FAILED, keeping the server's message and SQLSTATE.
 */
export function connectFailure(err: unknown): TaskError {
  return new TaskError(
    "transitorio",
    `cannot connect: ${describeDbFailure(err)}`,
    CONNECT_FAILED,
  );
}

/**
 * A database failure as messages show it: the server's message, its
 * SQLSTATE in parentheses and, for a refused login, what to change.
 */
export function describeDbFailure(err: unknown): string {
  const failure = classifyDbError(err);
  const code = failure.codigo ? ` (${failure.codigo})` : "";
  return `${failure.message}${code}${loginHint(failure.message)}`;
}

/** PgBouncer refusing the statement_timeout that pg sends at login. */
const BOUNCER_REFUSES_TIMEOUT =
  /unsupported startup parameter: statement_timeout/;

/**
 * What to do about a refused login, to append to its message: "" or
 * "; add statement_timeout to PgBouncer's ignore_startup_parameters".
 */
export function loginHint(message: string): string {
  return BOUNCER_REFUSES_TIMEOUT.test(message)
    ? "; add statement_timeout to PgBouncer's ignore_startup_parameters"
    : "";
}

/**
 * Tells whether a classified failure means the database is unreachable
 * (network errors, lost connections, SQLSTATE 08xxx, 53xxx and 57P0x), so
 * the worker can stop fetching until `Database.ping` succeeds again.
 */
export function isConnectionFailure(err: TaskError): boolean {
  const codigo = err.codigo;
  if (codigo === undefined) return false;
  if (codigo === CONNECT_FAILED) return true;
  if (NETWORK_CODES.has(codigo)) return true;
  if (CLIENT_FAILURES.some(([, kind]) => kind === codigo)) return true;
  if (CONNECTION_SQLSTATES.has(codigo)) return true;
  return codigo.startsWith("08") || codigo.startsWith("53");
}

/** Removes passwords from text that is about to leave this layer. */
export function scrubSecrets(text: string): string {
  return redact(text).replace(URL_CREDENTIALS, "$1***@");
}

function isTransientSqlstate(sqlstate: string): boolean {
  if (TRANSIENT_SQLSTATES.has(sqlstate)) return true;
  return TRANSIENT_CLASSES.some((prefix) => sqlstate.startsWith(prefix));
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function networkCode(err: unknown): string | undefined {
  const code = codeOf(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return code;

  // Connecting to a name with several addresses (localhost: ::1 and
  // 127.0.0.1) fails with an AggregateError of one error per address.
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const innerCode = codeOf(inner);
      if (innerCode !== undefined && NETWORK_CODES.has(innerCode)) {
        return innerCode;
      }
    }
  }
  return undefined;
}

function sqlstateOf(err: unknown): string | undefined {
  const code = codeOf(err);
  return code !== undefined && SQLSTATE.test(code) ? code : undefined;
}

function messageOf(err: unknown): string {
  let text: string;
  if (err instanceof AggregateError && err.message === "") {
    text = err.errors.map((inner) => messageOf(inner)).join("; ");
  } else if (err instanceof Error) {
    text = err.message;
  } else {
    text = typeof err === "string" ? err : String(err);
  }
  return scrubSecrets(text || "unknown database error");
}
