/**
 * The interface both Redis transports (TCP via ioredis, HTTP REST) offer to
 * the operations layer. Operations are written once against it.
 */
import { createHash } from "node:crypto";

/** A Redis argument. */
export type Arg = string | number;
/** One command: name then arguments, e.g. `["LPUSH", key, value]`. */
export type Command = [string, ...Arg[]];

/** A Lua script with its SHA1, run with EVALSHA and EVAL as fallback. */
export interface LuaScript {
  name: string;
  lua: string;
  sha: string;
  /**
   * The reply holds queue entries (in an array, nested arrays included),
   * read as bytes so that an entry that is not UTF-8 survives
   * (src/common/bytes.ts); integers in it stay numbers.
   */
  returnsEntries: boolean;
}

/** Declares a Lua script; the SHA is computed once. */
export function defineScript(
  name: string,
  lua: string,
  opts: { returnsEntries?: boolean } = {},
): LuaScript {
  return {
    name,
    lua,
    sha: createHash("sha1").update(lua).digest("hex"),
    returnsEntries: opts.returnsEntries ?? false,
  };
}

/** Connection state changes, reported to the owner (worker, UI). */
export interface TransportEvents {
  onLost?: (reason: string) => void;
  onRestored?: () => void;
}

/** What the operations layer needs from a Redis connection. */
export interface RedisTransport {
  /** `tcp` (one server), `cluster` (a Redis Cluster) or `rest`. */
  readonly kind: "tcp" | "cluster" | "rest";
  /** Where it connects, host only, never a password or token. */
  readonly target: string;
  /** Runs one command and returns its reply. */
  command<T = unknown>(...command: Command): Promise<T>;
  /** Runs commands atomically (MULTI/EXEC); returns each reply in order. */
  transaction(commands: Command[]): Promise<unknown[]>;
  /** Runs commands in one round trip, not atomically. */
  pipeline(commands: Command[]): Promise<unknown[]>;
  /** Runs a Lua script atomically. */
  script<T = unknown>(
    script: LuaScript,
    keys: string[],
    args: Arg[],
  ): Promise<T>;
  /**
   * Blocks up to `timeoutSeconds` moving the head of `source` to the tail of
   * `destination` (BLMOVE). Undefined when the transport cannot block: the
   * caller then polls.
   */
  blockingMove?(
    source: string,
    destination: string,
    timeoutSeconds: number,
  ): Promise<string | null>;
  /** Interrupts a pending blockingMove (it resolves null or rejects). */
  interruptBlocking?(): void;
  /**
   * Cluster only: runs a keyless command (CONFIG GET, INFO) on every
   * master; per node (`host:port`) its reply, or the error it answered
   * (a refused command, a node that cannot be reached).
   */
  eachMaster?<T = unknown>(
    ...command: Command
  ): Promise<{ node: string; reply?: T; error?: Error }[]>;
  /**
   * `requests`: round trips so far (HTTP requests on REST, which plans
   * bill per command), for the worker's summary and `stats`.
   * `uncertain`: requests that failed in a way that may have run them on
   * the server and were then sent again; a claim among them may have
   * moved tasks that nobody was told about (see WorkerQueue).
   */
  stats(): { requests: number; uncertain: number };
  /** Closes every connection; safe to call twice. */
  close(): Promise<void>;
}
