/**
 * batchctl on a real Redis Cluster of three masters, started by this file
 * (test/helpers/redis-cluster.ts): the worker drains and retries, a
 * SIGKILLed worker's tasks are recovered by another, the CLI lists and
 * retries, `limpiar_cache` deletes keys that live on all three masters
 * with the right count, and a prefix without a hash tag is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseClusterNodes } from "../../src/common/cluster.js";
import { DEFAULT_FUNCTIONS } from "../../src/common/config.js";
import {
  createKeys,
  slotOf,
  type QueueContext,
} from "../../src/queue/index.js";
import { createClusterTransport } from "../../src/queue/transports/cluster.js";
import { openBackend, type TestBackend } from "../helpers/backends.js";
import { runCli } from "../helpers/cli.js";
import {
  exitWithin,
  jsonLines,
  startCli,
  type CliProcess,
} from "../helpers/e2e.js";
import {
  startPrivateCluster,
  type PrivateCluster,
} from "../helpers/redis-cluster.js";
import { readList, readRecords, waitFor } from "../helpers/redis.js";
import { createTestWorker, drain, enqueue } from "../helpers/worker.js";
import { DEFAULT_TIMINGS } from "../../src/worker/index.js";

const PREFIX = "{test:cluster}";
const UNKNOWN_TICKET = "00000000-0000-4000-8000-000000000000";
/** test_fn.reporte_lento sleeps 2 s for this day, so A is killed mid-task. */
const TWO_SECONDS = "2024-01-20";
const SLOW_FN = { BATCH_FN_GENERAR_REPORTE: "test_fn.reporte_lento" };

describe("batchctl on a Redis Cluster of three masters", () => {
  let cluster: PrivateCluster;
  let backend: TestBackend;
  let queue: QueueContext;
  const started: CliProcess[] = [];

  beforeAll(async () => {
    [cluster, backend] = await Promise.all([
      startPrivateCluster(),
      openBackend("postgres", "e2e_cluster", 4),
    ]);
    queue = {
      transport: createClusterTransport({
        cluster: parseClusterNodes(cluster.nodes, "test"),
        persistent: false,
      }),
      keys: createKeys(PREFIX),
    };
  });
  afterEach(async () => {
    for (const cli of started.splice(0)) {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill("SIGKILL");
      }
      await cli.exited;
    }
    await cluster?.flush();
  });
  afterAll(async () => {
    await queue?.transport.close();
    await backend?.close();
    await cluster?.destroy();
  });

  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    REDIS_CLUSTER_NODES: cluster.nodes,
    BATCH_QUEUE_PREFIX: PREFIX,
    DATABASE_URL_BATCH: backend.batchUrl,
    ...extra,
  });
  const cli = (args: string[], extra?: NodeJS.ProcessEnv) =>
    runCli(args, env(extra));
  const start = (args: string[], extra?: NodeJS.ProcessEnv) => {
    const child = startCli(args, env(extra));
    started.push(child);
    return child;
  };
  const processed = () => readRecords(queue, queue.keys.processed);
  const failed = () => readRecords(queue, queue.keys.failed);
  const workers = () =>
    queue.transport.command<string[]>("SMEMBERS", queue.keys.workers);

  it("keeps every key of the queue on the node that owns the prefix's slot", async () => {
    const slot = slotOf(queue.keys.pending)!;
    const owner = await cluster.ownerOf(slot);
    await enqueue(queue, { tipo: "procesar_tickets_vencidos" });

    const keys = await cluster.cli(owner, "--raw", "KEYS", `${PREFIX}:*`);
    const others = cluster.ports.filter((port) => port !== owner);
    const elsewhere = await Promise.all(
      others.map((port) => cluster.cli(port, "DBSIZE")),
    );

    expect(keys.trim().split("\n")).toContain(queue.keys.pending);
    expect(elsewhere.map((n) => n.trim())).toEqual(["0", "0"]);
  });

  it("drains tasks with the built worker", async () => {
    const ids = await enqueue(
      queue,
      ...Array.from({ length: 20 }, (_, i) =>
        i % 2
          ? { tipo: "procesar_tickets_vencidos" }
          : { tipo: "generar_reporte", fecha: `2024-02-${10 + i}` },
      ),
    );

    const worker = start(["work", "--drain", "--concurrency", "4"]);
    const exit = await exitWithin(worker, 30_000);

    expect({ code: exit?.code, stderr: worker.stderr() }).toEqual({
      code: 0,
      stderr: "",
    });
    const stopped = jsonLines(worker.lines).find(
      (line) => line.msg === "worker stopped",
    );
    expect(stopped).toMatchObject({ processed: 20, failed: 0 });
    const records = await processed();
    expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(await readList(queue, queue.keys.pending)).toEqual([]);
    expect(await workers()).toEqual([]);
  });

  it("retries a transient failure until it succeeds, or until attempts run out", async () => {
    await backend.admin.query(
      "CREATE SEQUENCE IF NOT EXISTS test_fn.llamadas_20240103",
    );
    await backend.admin.query(
      "CREATE SEQUENCE IF NOT EXISTS test_fn.llamadas_20240109",
    );
    const [succeeds, exhausts] = await enqueue(
      queue,
      { tipo: "generar_reporte", fecha: "2024-01-03" },
      { tipo: "generar_reporte", fecha: "2024-01-09" },
    );

    const totals = await drain(queue, backend.db, {
      ctx: {
        db: backend.db,
        functions: {
          ...DEFAULT_FUNCTIONS,
          generar_reporte: "test_fn.reporte_inestable",
        },
        redis: queue.transport,
        keys: queue.keys,
      },
      policy: { maxAttempts: 3, baseMs: 10, maxMs: 50 },
    });

    expect(totals).toMatchObject({ processed: 1, failed: 1, retried: 4 });
    expect(await processed()).toEqual([
      expect.objectContaining({
        id: succeeds,
        intentos: 3,
        resultado: { fecha: "2024-01-03", llamadas: 3 },
      }),
    ]);
    expect(await failed()).toEqual([
      expect.objectContaining({
        id: exhausts,
        intentos: 3,
        error: expect.objectContaining({
          clase: "transitorio",
          codigo: "40001",
        }),
      }),
    ]);
    expect(await queue.transport.command("ZCARD", queue.keys.retries)).toBe(0);
  });

  it("recovers the tasks of a SIGKILLed worker in another worker", async () => {
    const ids = await enqueue(
      queue,
      { tipo: "generar_reporte", fecha: TWO_SECONDS },
      { tipo: "generar_reporte", fecha: TWO_SECONDS },
    );
    const a = start(
      ["work", "--heartbeat-ttl", "2", "--concurrency", "2"],
      SLOW_FN,
    );
    let deadId = "";
    await waitFor(
      async () => {
        [deadId = ""] = await workers();
        if (deadId === "") return false;
        const inFlight = await readList(queue, queue.keys.inFlight(deadId));
        return inFlight.length === 2;
      },
      15_000,
      "worker A to hold both tasks",
    );

    a.child.kill("SIGKILL");
    expect((await a.exited).signal).toBe("SIGKILL");
    const b = start(["work", "--drain", "--heartbeat-ttl", "2"], SLOW_FN);
    const exit = await exitWithin(b, 30_000);

    expect({ code: exit?.code, stderr: b.stderr() }).toEqual({
      code: 0,
      stderr: "",
    });
    const recovery = jsonLines(b.lines).find((line) => line.dead === deadId);
    expect(recovery).toMatchObject({ count: 2 });
    const records = await processed();
    expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const record of records) {
      expect(record.worker).toBe(recovery?.worker);
      expect(record.resultado).toEqual({ fecha: TWO_SECONDS, lento: true });
    }
    expect(await readList(queue, queue.keys.inFlight(deadId))).toEqual([]);
    expect(await workers()).toEqual([]);
  });

  it("lists and retries failed tasks from the CLI", async () => {
    const [first] = await enqueue(
      queue,
      { tipo: "notificar_ticket_creado", ticket_id: UNKNOWN_TICKET },
      { tipo: "procesar_tickets_vencidos" },
      { tipo: "notificar_ticket_creado", ticket_id: UNKNOWN_TICKET },
    );
    await drain(queue, backend.db);

    const [table, listed] = await Promise.all([
      cli(["ls", "fallidas"]),
      cli(["ls", "fallidas", "--json"]),
    ]);
    const retried = await cli(["retry", "--id", first!]);
    const [pending, stats] = await Promise.all([
      cli(["ls", "procesar", "--json"]),
      cli(["stats", "--json"]),
    ]);

    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(
      new RegExp(`${first!.slice(0, 8)}\\s+notificar_ticket_creado`),
    );
    expect(table.stdout).toContain(`1-2 of 2 in ${PREFIX}:fallidas`);
    const failures = jsonLines(listed.stdout.split("\n"));
    expect(failures.map((line) => line.entry.error.clase)).toEqual([
      "permanente",
      "permanente",
    ]);
    expect(retried).toMatchObject({
      code: 0,
      stdout: "moved 1 failed task back to procesar\n",
    });
    expect(jsonLines(pending.stdout.split("\n"))).toEqual([
      expect.objectContaining({ id: first, list: "procesar" }),
    ]);
    expect((await failed()).map((r) => r.id)).not.toContain(first);
    expect(JSON.parse(stats.stdout).counts).toMatchObject({
      procesar: 1,
      procesadas: 1,
      fallidas: 1,
    });
  });

  it("deletes limpiar_cache keys on all three masters, counting those that existed", async () => {
    const byOwner = await cacheKeysOnEveryMaster(cluster, 2);
    // Redis hashes these whole; cluster-key-slot would put both in one slot.
    const odd = ["{}{a}x", "{}{a}y"];
    const claves = [...[...byOwner.values()].flat(), ...odd];
    for (const clave of claves) {
      await queue.transport.command("SET", clave, "cached");
    }
    const sizes = await Promise.all(
      cluster.ports.map((port) => cluster.cli(port, "DBSIZE")),
    );
    expect(sizes.map(Number).every((n) => n >= 2)).toBe(true);
    const missing = "cache:never-set";

    const [id] = await enqueue(queue, {
      tipo: "limpiar_cache",
      claves: [...claves, missing],
    });
    const totals = await drain(queue, backend.db);

    expect(totals).toMatchObject({ processed: 1, failed: 0 });
    const [record] = await processed();
    expect(record).toMatchObject({
      id,
      resultado: { claves: 9, borradas: 8 },
    });
    for (const clave of claves) {
      expect(await queue.transport.command("EXISTS", clave), clave).toBe(0);
    }
  });

  it("purges cache keys of every master now from the CLI", async () => {
    const claves = [
      ...(await cacheKeysOnEveryMaster(cluster, 1)).values(),
    ].flat();
    for (const clave of claves) {
      await queue.transport.command("SET", clave, "cached");
    }

    const result = await cli(["purge-cache", ...claves, "cache:none", "--now"]);

    expect(result).toMatchObject({
      code: 0,
      stderr: "",
      stdout: "deleted 3 of 4 keys; 1 did not exist\n",
    });
    for (const clave of claves) {
      expect(await queue.transport.command("EXISTS", clave), clave).toBe(0);
    }
  });

  it("checks every master in doctor", async () => {
    const result = await cli(["doctor", "--json"]);

    const report = JSON.parse(result.stdout) as {
      checks: { status: string; check: string; detail: string }[];
    };
    const byName = new Map(report.checks.map((c) => [c.check, c]));
    expect(byName.get("redis")).toMatchObject({ status: "ok" });
    expect(byName.get("redis")?.detail).toMatch(/^cluster 127\.0\.0\.1:/);
    expect(byName.get("cluster")).toMatchObject({ status: "ok" });
    expect(byName.get("cluster")?.detail).toContain(
      `cluster_state ok, 3 masters`,
    );
    expect(byName.get("eviction")).toMatchObject({
      status: "ok",
      detail: "maxmemory-policy is noeviction on all 3 masters",
    });
  });

  it("refuses a prefix without a hash tag in every command, touching nothing", async () => {
    const commands = [
      ["ls", "procesar"],
      ["work", "--drain"],
      ["enqueue", "procesar_tickets_vencidos"],
    ];

    const results = await Promise.all(
      commands.map((args) => cli(args, { BATCH_QUEUE_PREFIX: "cola:batch" })),
    );

    for (const [i, result] of results.entries()) {
      expect(result, commands[i]!.join(" ")).toEqual({
        code: 2,
        stdout: "",
        stderr:
          "batchctl: BATCH_QUEUE_PREFIX: cola:batch has no hash tag; on a Redis Cluster every key of the queue must hash to one slot (scripts, MULTI and BLMOVE use several keys at once); use BATCH_QUEUE_PREFIX='{cola:batch}' (and the same prefix in producers)\n",
      });
    }
    const sizes = await Promise.all(
      cluster.ports.map((port) => cluster.cli(port, "DBSIZE")),
    );
    expect(sizes.map((n) => n.trim())).toEqual(["0", "0", "0"]);
  });

  it("stops a worker blocked on the queue's master while that master is down", async () => {
    const transport = createClusterTransport({
      cluster: parseClusterNodes(cluster.nodes, "test"),
      persistent: true,
    });
    const worker = createTestWorker(
      { transport, keys: queue.keys },
      backend.db,
      {
        drain: false,
        shutdownTimeoutMs: 1000,
        timings: { ...DEFAULT_TIMINGS, blockSeconds: 5 },
      },
    );
    const owner = await cluster.ownerOf(slotOf(queue.keys.pending)!);
    let settled = false;
    const running = worker.run().finally(() => (settled = true));
    try {
      await waitFor(async () => (await workers()).length === 1, 10_000);
      await cluster.kill(owner);
      // Let ioredis see the node go and start retrying the blocked BLMOVE.
      await new Promise((resolve) => setTimeout(resolve, 2000));

      worker.stop("SIGTERM during the outage");
      // Without an end of its own, the interrupted BLMOVE never settles.
      await waitFor(() => settled, 15_000, "run() to settle").catch(() => {});

      expect(settled, "run() still pending 15 s after stop").toBe(true);
      await running;
    } finally {
      worker.stop("cleanup");
      await cluster.restart(owner);
      await transport.close();
    }
  });

  it("logs in with the password of a URL entry, and names a refused one", async () => {
    const password = "Cl0sterPw";
    const setPassword = (value: string, auth: string[]) =>
      Promise.all(
        cluster.ports.map((port) =>
          cluster.cli(port, ...auth, "CONFIG", "SET", "requirepass", value),
        ),
      );
    await setPassword(password, []);
    try {
      const nodes = (pw: string) =>
        cluster.nodes.replace("127.0.0.1", `redis://:${pw}@127.0.0.1`);

      const [right, wrong] = await Promise.all([
        cli(["ls", "procesar"], { REDIS_CLUSTER_NODES: nodes(password) }),
        cli(["ls", "procesar"], { REDIS_CLUSTER_NODES: nodes("Wr0ngPw") }),
      ]);

      expect(right).toMatchObject({ code: 0, stderr: "" });
      expect(right.stdout).toContain(`${PREFIX}:procesar is empty`);
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(
        /^batchctl: Redis at 127\.0\.0\.1:\d+,.* refused the login \(WRONGPASS\): check the password in REDIS_CLUSTER_NODES or --redis-cluster-nodes\n$/,
      );
      expect(wrong.stderr).not.toContain("Wr0ngPw");
    } finally {
      await setPassword("", ["-a", password, "--no-auth-warning"]);
    }
  });

  it("exits 3 when no node of the cluster answers", async () => {
    const result = await cli(["ls", "procesar"], {
      REDIS_CLUSTER_NODES: "127.0.0.1:1",
    });

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^batchctl: cannot reach Redis at 127\.0\.0\.1:1: /,
    );
  });
});

/**
 * `perMaster` cache key names for each master, found by the slot each
 * name hashes to and the node the cluster says owns it.
 */
async function cacheKeysOnEveryMaster(
  cluster: PrivateCluster,
  perMaster: number,
): Promise<Map<number, string[]>> {
  const byOwner = new Map<number, string[]>(
    cluster.ports.map((port) => [port, []]),
  );
  for (
    let i = 0;
    [...byOwner.values()].some((k) => k.length < perMaster);
    i++
  ) {
    const name = `cache:${i}`;
    const keys = byOwner.get(await cluster.ownerOf(slotOf(name)!))!;
    if (keys.length < perMaster) keys.push(name);
  }
  return byOwner;
}
