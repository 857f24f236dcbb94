/**
 * The bench's own `redis-server`: a free port, no persistence, started and
 * stopped by the bench, so INFO commandstats counts only what the run sent
 * and nobody else's tests share its CPU queue or its keys.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../test/helpers/redis-server.js";

/** How long redis-server may take to answer its first PING. */
const START_TIMEOUT_MS = 10_000;

/** A running private server and a client on it. */
export interface BenchRedis {
  url: string;
  port: number;
  /** The bench's own connection (fill, polls, stats). */
  client: Redis;
  /** Empties every key and resets INFO commandstats. */
  reset(): Promise<void>;
  /** Calls per command since the last reset (INFO commandstats). */
  commandStats(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free port in a fresh temporary directory. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = await mkdtemp(join(tmpdir(), "batchctl-bench-redis-"));
  const port = await freePort();
  const server: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => server.once("exit", resolve));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: null });
  // Refused connections while the server starts are retried below.
  client.on("error", () => undefined);

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    url,
    port,
    client,
    async reset() {
      await client.flushall("SYNC");
      await client.config("RESETSTAT");
    },
    async commandStats() {
      const text = await client.info("commandstats");
      const calls = new Map<string, number>();
      for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        calls.set(match[1] as string, Number(match[2]));
      }
      return calls;
    },
    async stop() {
      client.disconnect();
      server.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
