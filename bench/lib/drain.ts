/**
 * One throughput run: fill a queue, start a worker, watch it drain.
 *
 * The clock is the bench's own, the same for every system: the run starts
 * at the first poll that sees the queue shorter than it was filled (the
 * first claim) and ends at the first poll that sees every outcome
 * recorded. Polls go out every POLL_MS on the bench's connection, so each
 * end is late by at most one poll (a few ms against runs of seconds).
 */
import type { Usage } from "./child.js";
import type { BenchRedis } from "./redis.js";
import { sleep } from "./stats.js";
import {
  CACHE_PREFIX,
  type RedisBoundSystem,
  type StartOptions,
} from "./systems.js";

const POLL_MS = 2;
/** A run that makes no progress for this long has failed. */
const STALL_MS = 60_000;

/** What one drain measured. */
export interface DrainResult {
  tasks: number;
  seconds: number;
  tps: number;
  usage: Usage | undefined;
  /**
   * Calls per Redis command during the run (INFO commandstats): every
   * command Redis ran, those run inside scripts and transactions included.
   */
  commands: Map<string, number>;
  /**
   * With `monitor`: commands the worker's connections sent, per command
   * (a script call counts once, whatever it runs inside), from MONITOR.
   */
  sent?: Map<string, number>;
}

/** Counts what clients other than the bench send, through MONITOR. */
async function startMonitor(redis: BenchRedis) {
  const info = (await redis.client.client("INFO")) as string;
  const own = /addr=(\S+)/.exec(info)?.[1];
  const monitor = await redis.client.monitor();
  const sent = new Map<string, number>();
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source === "lua" || source === own) return;
    const name = String(args[0]).toLowerCase();
    sent.set(name, (sent.get(name) ?? 0) + 1);
  });
  return {
    sent,
    stop: async () => {
      // Let the last lines arrive before closing.
      await sleep(200);
      monitor.disconnect();
    },
  };
}

/** Fills `system` with `tasks` tasks and times a worker draining them. */
export async function measureDrain(
  redis: BenchRedis,
  system: RedisBoundSystem,
  tasks: number,
  options: Omit<StartOptions, "drain" | "keep"> & {
    keep?: number;
    monitor?: boolean;
  },
): Promise<DrainResult> {
  await redis.reset();
  await system.fill(tasks);
  await redis.client.config("RESETSTAT");
  const monitor = options.monitor ? await startMonitor(redis) : undefined;

  const worker = system.start({
    ...options,
    drain: true,
    keep: options.keep ?? tasks,
  });
  let hasExited = false;
  void worker.exited.then(() => (hasExited = true));
  let t0: number | undefined;
  let t1: number | undefined;
  let lastProgress = performance.now();
  let lastDone = -1;
  let polls = 0;
  while (t1 === undefined) {
    const [pending, done] = await system.counts();
    polls++;
    const now = performance.now();
    if (t0 === undefined && pending < tasks) t0 = now;
    if (done >= tasks) t1 = now;
    if (done !== lastDone) {
      lastDone = done;
      lastProgress = now;
    }
    if (t1 !== undefined) break;
    if (hasExited && done < tasks) {
      throw new Error(`${system.name} exited with ${done} of ${tasks} done`);
    }
    if (now - lastProgress > STALL_MS) {
      await worker.stop();
      throw new Error(`${system.name} stalled at ${done} of ${tasks}`);
    }
    await sleep(POLL_MS);
  }
  await monitor?.stop();
  const commands = await redis.commandStats();
  // Leave out the bench's own commands: its polls, the reset, the INFO.
  const leaveOut = (name: string, calls: number) =>
    commands.set(name, (commands.get(name) ?? 0) - calls);
  for (const name of system.pollCommands) leaveOut(name, polls);
  leaveOut("info", 1);
  leaveOut("config|resetstat", 1);
  for (const [name, calls] of commands) if (calls <= 0) commands.delete(name);
  if (system.name === "bullmq") await worker.stop();
  const { code, usage } = await worker.exited;
  if (code !== 0 || !usage) {
    throw new Error(`${system.name} worker exited with ${code}`);
  }
  const left = (await redis.client.eval(
    `return #redis.call('KEYS', '${CACHE_PREFIX}*')`,
    0,
  )) as number;
  if (left > 0) throw new Error(`${system.name} left ${left} cache keys`);

  const seconds = (t1 - (t0 ?? t1)) / 1000 || POLL_MS / 1000;
  return {
    tasks,
    seconds,
    tps: tasks / seconds,
    usage,
    commands,
    ...(monitor ? { sent: monitor.sent } : {}),
  };
}
