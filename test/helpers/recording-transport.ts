/**
 * Wraps a real transport and records every command it is asked to send,
 * so a test can assert what an operation read (not a mock: the commands
 * still run against the real Redis).
 */
import type {
  Command,
  LuaScript,
  RedisTransport,
} from "../../src/queue/index.js";

/** A recorded call: a command, or a script by name with its keys/args. */
export type Recorded = Command | ["SCRIPT", string, ...(string | number)[]];

/** The wrapped transport and what went through it. */
export interface RecordingTransport extends RedisTransport {
  readonly sent: Recorded[];
  clear(): void;
}

/** Wraps `inner`; `sent` lists each command (pipelines flattened). */
export function recordCommands(inner: RedisTransport): RecordingTransport {
  const sent: Recorded[] = [];
  return {
    kind: inner.kind,
    target: inner.target,
    sent,
    clear: () => void sent.splice(0),
    command: <T>(...command: Command) => {
      sent.push(command);
      return inner.command<T>(...command);
    },
    pipeline: (commands) => {
      sent.push(...commands);
      return inner.pipeline(commands);
    },
    transaction: (commands) => {
      sent.push(...commands);
      return inner.transaction(commands);
    },
    script: <T>(
      script: LuaScript,
      keys: string[],
      args: (string | number)[],
    ) => {
      sent.push(["SCRIPT", script.name, ...keys, ...args]);
      return inner.script<T>(script, keys, args);
    },
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
}
