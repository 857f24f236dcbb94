/**
 * A pino logger that keeps every line in memory, so a test can read what a
 * worker logged (and when) instead of silencing it.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** One parsed log line; `time` is epoch ms. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger plus the lines it wrote so far. */
export interface CapturedLogger {
  logger: Logger;
  lines: LogLine[];
  /** Lines whose message contains `text`. */
  find(text: string): LogLine[];
}

/** Creates a debug-level logger that records every line as an object. */
export function createCaptureLogger(): CapturedLogger {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split("\n")) {
        if (text.trim()) lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level: "debug", base: undefined }, stream);
  return {
    logger,
    lines,
    find: (text) => lines.filter((line) => line.msg.includes(text)),
  };
}
