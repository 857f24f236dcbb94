/**
 * End-to-end fixtures: the built `batchctl` spawned as a user would, on a
 * file's own key prefix and database, with every process it started
 * killed at the end, and readers that say where each task id is now.
 */
import type { ChildProcess } from "node:child_process";
import { spawnCli } from "./cli.js";
import { openBackend, type TestBackend } from "./backends.js";
import {
  createTestQueue,
  readList,
  type TestQueue,
  type TransportKind,
} from "./redis.js";

/** A spawned batchctl whose output is collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  /** Complete stdout lines so far. */
  lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once the process exited, with the time it did. */
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
}

/** A queue and a database for one test file, plus its spawned processes. */
export interface E2eContext {
  queue: TestQueue;
  backend: TestBackend;
  /** Environment that points batchctl at this file's Redis prefix and db. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Spawns `batchctl args...`; it is SIGKILLed in `cleanup` if still up. */
  start(args: string[], extra?: NodeJS.ProcessEnv): CliProcess;
  /** Kills leftover processes and deletes the prefix's keys. */
  cleanup(): Promise<void>;
  /** Closes the connections and drops the database. */
  close(): Promise<void>;
}

/** Where a task id was found: list (or zset) name, once per occurrence. */
export type Places = Map<string, string[]>;

/**
 * Opens the file's queue and database; `name` is [a-z0-9_]. Over REST the
 * spawned CLI reaches Redis through the file's REST endpoint.
 */
export async function openE2e(
  name: string,
  transport: TransportKind = "tcp",
): Promise<E2eContext> {
  const queue = createTestQueue(`e2e-${name}`, transport);
  const redisEnv = await queue.cliEnv();
  const backend = await openBackend("postgres", `e2e_${name}`, 1);
  const processes = new Set<CliProcess>();
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...redisEnv,
    DATABASE_URL_BATCH: backend.batchUrl,
    ...extra,
  });

  return {
    queue,
    backend,
    env,
    start(args, extra) {
      const started = startCli(args, env(extra));
      processes.add(started);
      return started;
    },
    async cleanup() {
      for (const started of processes) {
        if (
          started.child.exitCode === null &&
          started.child.signalCode === null
        ) {
          started.child.kill("SIGKILL");
        }
        await started.exited;
      }
      processes.clear();
      await queue.cleanup();
    },
    async close() {
      await queue.transport.close();
      await backend.close();
    },
  };
}

/** Spawns `batchctl args...` with exactly `env` over a clean environment. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawnCli(args, env);
  const lines: string[] = [];
  let rest = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end();
  const exited = new Promise<{
    code: number | null;
    signal: string | null;
    at: number;
  }>((resolve) =>
    child.on("close", (code, signal) =>
      resolve({ code, signal, at: Date.now() }),
    ),
  );
  return { child, lines, stderr: () => stderr, exited };
}

/** The process's exit, or undefined when it is still running after `ms`. */
export async function exitWithin(started: CliProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([started.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses the JSON log lines of a process; throws on a line that is not. */
export function jsonLines(lines: string[]): Record<string, any>[] {
  return lines
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/** Ids of the registered workers (`P:workers`). */
export function workerIds(ctx: Pick<E2eContext, "queue">): Promise<string[]> {
  const { transport, keys } = ctx.queue;
  return transport.command<string[]>("SMEMBERS", keys.workers);
}

/** Task ids in the in-flight list of `worker`, head first. */
export async function inFlightIds(
  ctx: Pick<E2eContext, "queue">,
  worker: string,
): Promise<string[]> {
  return idsOf(await readList(ctx.queue, ctx.queue.keys.inFlight(worker)));
}

/** Every `P:procesando:*` key that exists (SCAN). */
export async function inFlightKeys(
  ctx: Pick<E2eContext, "queue">,
): Promise<string[]> {
  const { transport, keys } = ctx.queue;
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await transport.command<[string, string[]]>(
      "SCAN",
      cursor,
      "MATCH",
      `${keys.prefix}:procesando:*`,
      "COUNT",
      1000,
    );
    found.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

/** Ids of the tasks (or records) in a list, in list order. */
export async function idsInList(
  ctx: Pick<E2eContext, "queue">,
  key: string,
): Promise<string[]> {
  return idsOf(await readList(ctx.queue, key));
}

/**
 * Looks for each of `ids` in every list and zset of the queue (pending,
 * each in-flight list, retries, scheduled, processed, failed) and returns
 * where each was found, one entry per occurrence.
 */
export async function locate(
  ctx: Pick<E2eContext, "queue">,
  ids: string[],
): Promise<Places> {
  const { transport, keys } = ctx.queue;
  const sources: [string, string[]][] = [
    ["procesar", await readList(ctx.queue, keys.pending)],
    ["procesadas", await readList(ctx.queue, keys.processed)],
    ["fallidas", await readList(ctx.queue, keys.failed)],
    [
      "reintentos",
      await transport.command<string[]>("ZRANGE", keys.retries, 0, -1),
    ],
    [
      "programadas",
      await transport.command<string[]>("ZRANGE", keys.scheduled, 0, -1),
    ],
  ];
  for (const key of await inFlightKeys(ctx)) {
    sources.push([
      key.slice(keys.prefix.length + 1),
      await readList(ctx.queue, key),
    ]);
  }

  const places: Places = new Map(ids.map((id) => [id, []]));
  for (const [name, entries] of sources) {
    for (const id of idsOf(entries)) places.get(id)?.push(name);
  }
  return places;
}

function idsOf(entries: string[]): string[] {
  return entries.map((entry) =>
    String((JSON.parse(entry) as { id?: unknown }).id),
  );
}
