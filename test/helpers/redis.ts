/**
 * Real Redis for tests: each file gets its own key prefix, and every key
 * under it is deleted in cleanup. Over TCP, or over REST through the
 * Upstash-compatible endpoint of test/fixtures/rest-server.ts in front of
 * the same Redis.
 *
 * To run a suite on both transports:
 *
 *   describe.each(TRANSPORTS)("ls over %s", (transport) => {
 *     const queue = createTestQueue("ls", transport);
 *     afterAll(() => queue.transport.close()); // also stops the endpoint
 *     // spawned CLI: runCli(args, { ...(await queue.cliEnv()), ... })
 *   });
 *
 * `queue.cliEnv()` gives REDIS_URL or REDIS_REST_URL + REDIS_REST_TOKEN,
 * and BATCH_QUEUE_PREFIX, for spawning batchctl on the same queue.
 */
import { randomBytes } from "node:crypto";
import {
  createKeys,
  type QueueContext,
  type RedisTransport,
} from "../../src/queue/index.js";
import { createRestTransport } from "../../src/queue/transports/rest.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";
import { startRestServer, type RestServer } from "../fixtures/rest-server.js";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** The transports every queue suite runs on. */
export const TRANSPORTS = ["tcp", "rest"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

/** Token of the shared test endpoint. */
export const REST_TOKEN = "test-token-3f9a";

let shared: { server: Promise<RestServer>; users: number } | undefined;

/**
 * The REST endpoint this test file shares (started on first use); each
 * `acquire` needs one `release`, the last one stops it.
 */
export function acquireRestServer(): Promise<RestServer> {
  shared ??= {
    server: startRestServer({ redisUrl: REDIS_URL, token: REST_TOKEN }),
    users: 0,
  };
  shared.users++;
  return shared.server;
}

/** Releases what `acquireRestServer` acquired. */
export async function releaseRestServer(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { server } = shared;
  shared = undefined;
  await (await server).close();
}

/**
 * A transport that opens once `opening` resolves: lets createTestQueue
 * stay synchronous while the REST endpoint starts.
 */
function lazyTransport(
  kind: TransportKind,
  opening: Promise<RedisTransport>,
  onClose: () => Promise<void>,
): RedisTransport {
  let isClosed = false;
  const later =
    <K extends "command" | "transaction" | "pipeline" | "script">(name: K) =>
    async (...args: unknown[]) => {
      const transport = await opening;
      return (transport[name] as (...a: unknown[]) => unknown)(...args);
    };
  let opened: RedisTransport | undefined;
  void opening.then((transport) => (opened = transport));
  return {
    kind,
    target: "test",
    command: later("command") as RedisTransport["command"],
    transaction: later("transaction") as RedisTransport["transaction"],
    pipeline: later("pipeline") as RedisTransport["pipeline"],
    script: later("script") as RedisTransport["script"],
    stats: () => opened?.stats() ?? { requests: 0, uncertain: 0 },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await (await opening).close();
      await onClose();
    },
  };
}

/** A unique prefix such as `test:tasks:1a2b3c`. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(3).toString("hex")}`;
}

/** A test queue: a context plus cleanup and the CLI's environment. */
export interface TestQueue extends QueueContext {
  kind: TransportKind;
  /** Deletes every key of the prefix. */
  cleanup(): Promise<void>;
  /** Environment that points a spawned batchctl at this queue. */
  cliEnv(): Promise<NodeJS.ProcessEnv>;
}

/**
 * A queue context on the real Redis, with a fresh prefix, over `kind`
 * (REST: through the file's shared endpoint; closing the transport
 * releases it).
 */
export function createTestQueue(
  name: string,
  kind: TransportKind = "tcp",
): TestQueue {
  const keys = createKeys(uniquePrefix(`${name}-${kind}`));
  const transport =
    kind === "tcp"
      ? createTcpTransport({ url: REDIS_URL, persistent: false })
      : createRestQueueTransport();
  return {
    kind,
    transport,
    keys,
    async cleanup() {
      await deleteByPattern(transport, `${keys.prefix}:*`);
    },
    async cliEnv() {
      const redis =
        kind === "tcp" ? { REDIS_URL } : (await acquireRestServer()).env();
      if (kind === "rest") await releaseRestServer();
      return { ...redis, BATCH_QUEUE_PREFIX: keys.prefix };
    },
  };
}

function createRestQueueTransport(): RedisTransport {
  const opening = acquireRestServer().then((server) =>
    createRestTransport({
      url: server.url,
      token: server.token,
      persistent: false,
    }),
  );
  return lazyTransport("rest", opening, releaseRestServer);
}

/** Deletes every key matching `pattern` (SCAN, never KEYS). */
export async function deleteByPattern(
  transport: QueueContext["transport"],
  pattern: string,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, found] = await transport.command<[string, string[]]>(
      "SCAN",
      cursor,
      "MATCH",
      pattern,
      "COUNT",
      1000,
    );
    if (found.length) await transport.command("UNLINK", ...found);
    cursor = next;
  } while (cursor !== "0");
}

/** Reads a whole list. */
export function readList(ctx: QueueContext, key: string): Promise<string[]> {
  return ctx.transport.command<string[]>("LRANGE", key, 0, -1);
}

/** Reads a list of JSON records. */
export async function readRecords<T = Record<string, any>>(
  ctx: QueueContext,
  key: string,
): Promise<T[]> {
  return (await readList(ctx, key)).map((entry) => JSON.parse(entry) as T);
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
