/**
 * The one shared logger (pino). JSON lines by default, readable lines when
 * the destination is a terminal. Every line passes through `redact`.
 */
import { Writable } from "node:stream";
import { pino, type Logger, type LevelWithSilent } from "pino";
import pretty from "pino-pretty";
import { redact } from "./redact.js";

export type { Logger };

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Minimum level written; `silent` writes nothing. */
  level: LevelWithSilent;
  /** Where lines go: process.stdout for `work`, stderr for other commands. */
  destination: NodeJS.WriteStream;
  /** Human-readable lines instead of JSON (default: destination is a TTY). */
  pretty?: boolean;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions): Logger {
  const isPretty = options.pretty ?? options.destination.isTTY === true;
  const sink: NodeJS.WritableStream = isPretty
    ? pretty({
        destination: options.destination,
        colorize: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
        sync: true,
        singleLine: true,
      })
    : options.destination;

  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // Destroyed when its reader went away (src/cli.ts): nobody to tell.
      if (!options.destination.destroyed) sink.write(redact(chunk.toString()));
      done();
    },
  });
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** A logger that writes nothing, for tests and library use. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
