/**
 * Real Redis for tests: each file gets its own key prefix, and every key
 * under it is deleted in cleanup.
 */
import { randomBytes } from "node:crypto";
import { createKeys, type QueueContext } from "../../src/queue/index.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A unique prefix such as `test:tasks:1a2b3c`. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(3).toString("hex")}`;
}

/** A queue context on the real Redis, with a fresh prefix. */
export function createTestQueue(name: string): QueueContext & {
  cleanup(): Promise<void>;
} {
  const transport = createTcpTransport({ url: REDIS_URL, persistent: false });
  const keys = createKeys(uniquePrefix(name));
  return {
    transport,
    keys,
    async cleanup() {
      await deleteByPattern(transport, `${keys.prefix}:*`);
    },
  };
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
