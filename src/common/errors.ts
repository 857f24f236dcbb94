/**
 * The error family every layer throws. Commands let these bubble up to the
 * one top-level handler in `src/cli.ts`, which prints `message` on one line
 * and exits with `exitCode`.
 */

/** Exit codes shared by every command (documented in the README). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  timeout: 124,
} as const;

/** Base error: a stable `code` for scripts and the process exit code. */
export class BatchError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(
    message: string,
    code = "failed",
    exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad flags or bad input given by the user (exit 2). */
export class UsageError extends BatchError {
  constructor(message: string) {
    super(message, "usage", EXIT.usage);
  }
}

/** Invalid configuration: names the variable or flag at fault (exit 2). */
export class ConfigError extends BatchError {
  constructor(message: string) {
    super(message, "config", EXIT.usage);
  }
}

/** A task, list entry or other named thing does not exist (exit 1). */
export class NotFoundError extends BatchError {
  constructor(message: string) {
    super(message, "not-found", EXIT.failed);
  }
}

/** Redis or PostgreSQL cannot be reached (exit 3). */
export class ConnectionError extends BatchError {
  constructor(message: string) {
    super(message, "unreachable", EXIT.unreachable);
  }
}

/** A wait (e.g. `enqueue --wait --timeout`) ran out of time (exit 124). */
export class TimeoutError extends BatchError {
  constructor(message: string) {
    super(message, "timeout", EXIT.timeout);
  }
}

/** How a failed task is treated: see DESIGN.md section 4. */
export type ErrorClass = "validacion" | "permanente" | "transitorio";

/**
 * A task failed. The retry decision reads `clase`: only `transitorio` is
 * retried. `codigo` carries a SQLSTATE or an error kind when there is one.
 */
export class TaskError extends BatchError {
  readonly clase: ErrorClass;
  readonly codigo: string | undefined;

  constructor(clase: ErrorClass, message: string, codigo?: string) {
    super(message, `task-${clase}`, EXIT.failed);
    this.clase = clase;
    this.codigo = codigo;
  }
}

/** Turns any thrown value into an `Error`, so it can be logged and read. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "string") return new Error(value);
  return new Error(JSON.stringify(value) ?? String(value));
}
