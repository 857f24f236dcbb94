/**
 * The chaos test: tasks with known ids drained by 3 `batchctl work`
 * processes while workers are SIGKILLed at random moments, Redis crashes
 * and restarts (SIGKILL; its own server, append-only, fsync always) and
 * the batch role loses PostgreSQL for longer than a retry interval. At the end every
 * id must be recorded exactly once, except tasks that were in flight on a
 * killed worker, which may be recorded twice (at-least-once delivery).
 *
 * Short form in `npm test`; `npm run test:chaos` runs the full form
 * (CHAOS=full: a minute of chaos, at least 20 kills).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createKeys, type QueueKeys } from "../../src/queue/index.js";
import { createTcpTransport } from "../../src/queue/transports/tcp.js";
import type { RedisTransport } from "../../src/queue/transport.js";
import { openBackend, type TestBackend } from "../helpers/backends.js";
import { startCli, type CliProcess } from "../helpers/e2e.js";
import { testDatabaseName, TEST_BATCH_ROLE } from "../helpers/pg.js";
import { uniquePrefix } from "../helpers/redis.js";
import {
  startPrivateRedis,
  type PrivateRedis,
} from "../helpers/redis-server.js";

const FULL = process.env.CHAOS === "full";
/** Chaos lasts `seconds`, and on until `minKills` workers were killed. */
const PLAN = FULL
  ? {
      seconds: 60,
      minKills: 20,
      killEveryMs: 2500,
      redisAt: 20_000,
      pgAt: 40_000,
    }
  : { seconds: 9, minKills: 3, killEveryMs: 1800, redisAt: 3500, pgAt: 6000 };
/** Backoff of the workers' transient retries (--retry-base/--retry-max). */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 800;
/**
 * The batch role is locked out this long: past the longest retry interval
 * and past the time --max-attempts (5) counted retries take, so a task
 * whose attempts counted during the outage would end in fallidas.
 */
const PG_OUTAGE_MS = 3000;
const WORKERS = 3;
/** procesadas must keep every record the test counts. */
const KEEP_PROCESSED = 1_000_000;
const DB = "chaos";

let redis: PrivateRedis;
let backend: TestBackend;
let transport: RedisTransport;
let keys: QueueKeys;

beforeAll(async () => {
  redis = await startPrivateRedis({ fsyncAlways: true });
  backend = await openBackend("postgres", DB, 1);
  keys = createKeys(uniquePrefix("chaos"));
  transport = createTcpTransport({ url: redis.url, persistent: true });
});

afterAll(async () => {
  await transport?.close();
  await backend?.close();
  await redis?.destroy();
});

/** A random mix of tasks; one in twenty is invalid on purpose. */
function makeTask(n: number): { id: string; raw: string; valid: boolean } {
  const id = randomUUID();
  const pick = n % 20;
  let task: Record<string, unknown>;
  if (pick === 0) task = { id, tipo: "generar_reporte", fecha: "2024-02-30" };
  else if (pick < 9)
    task = { id, tipo: "generar_reporte", fecha: "2024-01-01" };
  else if (pick < 18) task = { id, tipo: "limpiar_cache", claves: [`k:${n}`] };
  else task = { id, tipo: "procesar_tickets_vencidos" };
  return { id, raw: JSON.stringify(task), valid: pick !== 0 };
}

function startWorker(extra: string[] = []): CliProcess {
  return startCli(
    [
      "work",
      ...extra,
      "--concurrency",
      "4",
      "--heartbeat-ttl",
      "2",
      "--retry-base",
      String(RETRY_BASE_MS),
      "--retry-max",
      String(RETRY_MAX_MS),
      "--keep-processed",
      String(KEEP_PROCESSED),
      "--no-task-log",
      "--log-level",
      "warn",
    ],
    {
      REDIS_URL: redis.url,
      BATCH_QUEUE_PREFIX: keys.prefix,
      DATABASE_URL_BATCH: backend.batchUrl,
      // 100 ms per report (day 1 of the month / 10 s): slow enough that
      // kills find tasks in flight.
      BATCH_FN_GENERAR_REPORTE: "test_fn.reporte_lento",
    },
  );
}

/** Ids in the in-flight list of the worker process `pid`. */
async function inFlightOf(pid: number): Promise<string[]> {
  const members = await transport.command<string[]>("SMEMBERS", keys.workers);
  const mine = members.find((id) => id.startsWith(`${hostname()}-${pid}-`));
  if (!mine) return [];
  const raws = await transport.command<string[]>(
    "LRANGE",
    keys.inFlight(mine),
    0,
    -1,
  );
  return raws.map((raw) => String((JSON.parse(raw) as { id: unknown }).id));
}

async function lockOutBatchRole(locked: boolean): Promise<void> {
  const db = testDatabaseName(DB);
  if (locked) {
    await backend.admin.query(
      `REVOKE CONNECT ON DATABASE ${db} FROM PUBLIC, ${TEST_BATCH_ROLE}`,
    );
    await backend.admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE usename = $1 AND datname = $2`,
      [TEST_BATCH_ROLE, db],
    );
  } else {
    await backend.admin.query(`GRANT CONNECT ON DATABASE ${db} TO PUBLIC`);
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it(
  `loses nothing through kills, a Redis restart and a PostgreSQL outage (${FULL ? "full" : "short"})`,
  async () => {
    const tasks: ReturnType<typeof makeTask>[] = [];
    const mayRepeat = new Set<string>();
    const workers: CliProcess[] = [];
    /** Every worker process started, the killed ones included. */
    const started: CliProcess[] = [];
    const report = { tasks: 0, kills: 0, redisRestarts: 0, pgOutages: 0 };
    const launch = (extra: string[] = []) => {
      const worker = startWorker(extra);
      started.push(worker);
      return worker;
    };
    for (let i = 0; i < WORKERS; i++) workers.push(launch());

    const push = async (count: number) => {
      const batch = Array.from({ length: count }, () =>
        makeTask(tasks.length + Math.floor(Math.random() * 20)),
      );
      await transport.command(
        "RPUSH",
        keys.pending,
        ...batch.map((t) => t.raw),
      );
      tasks.push(...batch);
    };

    const startedAt = Date.now();
    let nextKill = PLAN.killEveryMs * (0.5 + Math.random());
    let redisDone = false;
    let pgDone = false;
    let pgRestoreAt = Infinity;
    await push(300);
    while (
      Date.now() - startedAt < PLAN.seconds * 1000 ||
      report.kills < PLAN.minKills
    ) {
      const elapsed = Date.now() - startedAt;
      await push(12);

      if (elapsed >= nextKill) {
        const index = Math.floor(Math.random() * workers.length);
        const victim = workers[index]!;
        // Frozen first, so the in-flight list read is the one it dies with.
        victim.child.kill("SIGSTOP");
        for (const id of await inFlightOf(victim.child.pid!)) mayRepeat.add(id);
        victim.child.kill("SIGKILL");
        await victim.exited;
        workers[index] = launch();
        report.kills++;
        nextKill = elapsed + PLAN.killEveryMs * (0.5 + Math.random());
      }
      if (!redisDone && elapsed >= PLAN.redisAt) {
        // A crash, not a shutdown: with fsync always, whatever Redis
        // acknowledged survives; what it did not, the workers send again.
        await redis.stop("SIGKILL");
        await pause(700);
        await redis.start();
        redisDone = true;
        report.redisRestarts++;
      }
      if (!pgDone && elapsed >= PLAN.pgAt) {
        await lockOutBatchRole(true);
        pgRestoreAt = elapsed + PG_OUTAGE_MS;
        pgDone = true;
        report.pgOutages++;
      }
      if (elapsed >= pgRestoreAt) {
        await lockOutBatchRole(false);
        pgRestoreAt = Infinity;
      }
      await pause(100);
    }
    if (pgRestoreAt !== Infinity) await lockOutBatchRole(false);

    // The survivors stop; one last worker drains what is left, including
    // the in-flight lists of the killed ones once their heartbeats expire.
    for (const worker of workers) worker.child.kill("SIGTERM");
    for (const worker of workers) await worker.exited;
    const drainer = launch(["--drain"]);
    expect((await drainer.exited).code).toBe(0);
    // The outages reached the workers (else the checks below prove nothing).
    const logged = (text: string) =>
      started.some((worker) => worker.lines.some((l) => l.includes(text)));
    const sawOutages = {
      postgres: logged("database unreachable"),
      redis: logged("Redis connection lost"),
    };
    report.tasks = tasks.length;

    const processed = await recordIds(keys.processed);
    const failed = await recordsOf(keys.failed);
    const seen = new Map<string, number>();
    for (const id of [...processed, ...failed.map((r) => r.id)]) {
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const lost = tasks.filter((t) => !seen.has(t.id)).map((t) => t.id);
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    const unexplained = duplicated.filter((id) => !mayRepeat.has(id));
    const validIds = new Set(tasks.filter((t) => t.valid).map((t) => t.id));
    const wronglyFailed = failed.filter(
      (r) => validIds.has(r.id) || r.error?.clase !== "validacion",
    );
    const leftover = await leftoverCount();

    const summary = {
      ...report,
      procesadas: processed.length,
      fallidas: failed.length,
      lost: lost.length,
      duplicates: duplicated.length,
      inFlightAtKills: mayRepeat.size,
      leftInLists: leftover,
    };
    console.log(`chaos report: ${JSON.stringify(summary)}`);

    expect(report.kills).toBeGreaterThanOrEqual(PLAN.minKills);
    expect(sawOutages).toEqual({ postgres: true, redis: true });
    expect(lost).toEqual([]);
    expect(unexplained).toEqual([]);
    expect(wronglyFailed.map((r) => [r.id, r.error])).toEqual([]);
    expect(leftover).toBe(0);
  },
  FULL ? 300_000 : 90_000,
);

async function recordsOf(
  key: string,
): Promise<{ id: string; error?: { clase: string } }[]> {
  const raws = await transport.command<string[]>("LRANGE", key, 0, -1);
  return raws.map((raw) => JSON.parse(raw));
}

async function recordIds(key: string): Promise<string[]> {
  return (await recordsOf(key)).map((r) => r.id);
}

/** Entries left in procesar, reintentos, programadas and in-flight lists. */
async function leftoverCount(): Promise<number> {
  const lists: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await transport.command<[string, string[]]>(
      "SCAN",
      cursor,
      "MATCH",
      `${keys.prefix}:procesando:*`,
    );
    lists.push(...found);
    cursor = next;
  } while (cursor !== "0");
  const replies = await transport.pipeline([
    ["LLEN", keys.pending],
    ["ZCARD", keys.retries],
    ["ZCARD", keys.scheduled],
    ...lists.map((key): [string, string] => ["LLEN", key]),
  ]);
  return replies.reduce<number>((sum, n) => sum + Number(n), 0);
}
