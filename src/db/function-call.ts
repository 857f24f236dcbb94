/**
 * The one SQL shape batchctl sends for a task: a call to a database
 * function by name, with positional parameters, returning jsonb per row.
 */
import pg from "pg";
import { FUNCTION_NAME } from "../common/config.js";
import { ConfigError } from "../common/errors.js";

/** PostgreSQL accepts at most 100 arguments per function (FUNC_MAX_ARGS). */
const MAX_ARGS = 100;

/**
 * Builds `SELECT ... AS r FROM "schema"."fn"($1, ...) AS f`, which yields
 * one jsonb column `r` per returned row: a scalar becomes a JSON scalar, a
 * composite row an object, a void result SQL NULL.
 *
 * `fn` is `ident` or `schema.ident`, matched case-sensitively as written
 * (each part is quoted). Throws ConfigError for any other name or for
 * more than 100 arguments.
 */
export function buildFunctionCall(fn: string, argCount: number): string {
  // The same few calls are built for every task: build each once.
  const key = `${argCount}:${fn}`;
  const cached = builtCalls.get(key);
  if (cached !== undefined) return cached;
  const sql = buildUncached(fn, argCount);
  builtCalls.set(key, sql);
  return sql;
}

/** SQL of the calls built so far; a handful (one per configured function). */
const builtCalls = new Map<string, string>();

function buildUncached(fn: string, argCount: number): string {
  if (!FUNCTION_NAME.test(fn)) {
    throw new ConfigError(
      `database function "${fn}" is not a name such as schema.function`,
    );
  }
  if (!Number.isInteger(argCount) || argCount < 0 || argCount > MAX_ARGS) {
    throw new ConfigError(
      `database function ${fn}: ${argCount} arguments (at most ${MAX_ARGS})`,
    );
  }

  const quoted = fn
    .split(".")
    .map((part) => pg.escapeIdentifier(part))
    .join(".");
  const params = Array.from({ length: argCount }, (_, i) => `$${i + 1}`);

  // to_jsonb turns every return type into JSON, so pg and PGlite hand
  // back the same plain values. Only void has no JSON form ("" otherwise).
  return (
    "SELECT CASE WHEN pg_catalog.pg_typeof(f) = " +
    "'pg_catalog.void'::pg_catalog.regtype THEN NULL " +
    "ELSE pg_catalog.to_jsonb(f) END AS r " +
    `FROM ${quoted}(${params.join(", ")}) AS f`
  );
}

/**
 * Folds the `r` column of a function call's rows into one value: zero
 * rows give null, one row its value, several rows an array of values.
 */
export function functionResult(rows: ReadonlyArray<{ r: unknown }>): unknown {
  if (rows.length === 0) return null;
  if (rows.length === 1) return rows[0]?.r ?? null;
  return rows.map((row) => row.r);
}
