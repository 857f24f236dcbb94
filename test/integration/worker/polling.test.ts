/**
 * The worker on a transport that cannot block (REST): it polls, backs off
 * when idle, returns to the short interval on work, and keeps its
 * heartbeat, recovery and promotion to one request per period.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openBackend, type TestBackend } from "../../helpers/backends.js";
import {
  acquireRestServer,
  createTestQueue,
  readRecords,
  releaseRestServer,
  waitFor,
} from "../../helpers/redis.js";
import { createRestTransport } from "../../../src/queue/transports/rest.js";
import { createTestWorker, enqueue } from "../../helpers/worker.js";
import { DEFAULT_TIMINGS, type Worker } from "../../../src/worker/index.js";

/** Scaled-down timings: the longest idle backoff is MAX_POLL_MS. */
const MAX_POLL_MS = 400;
const TIMINGS = {
  ...DEFAULT_TIMINGS,
  pollMs: 50,
  maxPollMs: MAX_POLL_MS,
  heartbeatMs: MAX_POLL_MS,
  recoverMs: MAX_POLL_MS,
  heartbeatTtlMs: 3 * MAX_POLL_MS,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("worker polling over REST", () => {
  let backend: TestBackend;
  const queue = createTestQueue("polling", "rest");
  let running: { worker: Worker; done: Promise<unknown> } | undefined;

  const start = (drain = false) => {
    const worker = createTestWorker(queue, backend.db, {
      drain,
      timings: TIMINGS,
    });
    running = { worker, done: worker.run() };
    return running;
  };

  /** Runs `run` while the REST endpoint loses every `every`th reply. */
  const withLostReplies = async <T>(every: number, run: () => Promise<T>) => {
    const server = await acquireRestServer();
    server.faults.loseReplyEvery = every;
    try {
      return await run();
    } finally {
      server.faults.loseReplyEvery = 0;
      await releaseRestServer();
    }
  };

  beforeAll(async () => {
    backend = await openBackend("pglite", "worker_polling");
  });
  afterEach(async () => {
    running?.worker.stop("test over");
    await running?.done;
    running = undefined;
    await queue.cleanup();
  });
  afterAll(async () => {
    await backend?.close();
    await queue.transport.close();
  });

  it("costs about two requests per longest backoff when idle, and picks up work", async () => {
    start();
    await sleep(6 * MAX_POLL_MS);

    const before = queue.transport.stats().requests;
    await sleep(10 * MAX_POLL_MS);
    const idle = queue.transport.stats().requests - before;

    // One claim and one upkeep (heartbeat + recovery) per MAX_POLL_MS.
    expect(idle).toBeGreaterThanOrEqual(5);
    expect(idle).toBeLessThanOrEqual(24);
    const [id] = await enqueue(queue, { tipo: "procesar_tickets_vencidos" });
    await waitFor(
      async () =>
        (await readRecords(queue, queue.keys.processed)).some(
          (r) => r.id === id,
        ),
      5000,
      "the task to be processed",
    );
  });

  it("shows the transport and its request count in the heartbeat", async () => {
    start();
    await waitFor(
      async () =>
        (
          await queue.transport.command<string[]>(
            "SMEMBERS",
            queue.keys.workers,
          )
        ).length > 0,
      5000,
      "the worker to register",
    );
    await sleep(2 * MAX_POLL_MS);

    const [id] = await queue.transport.command<string[]>(
      "SMEMBERS",
      queue.keys.workers,
    );
    const info = JSON.parse(
      await queue.transport.command<string>("GET", queue.keys.heartbeat(id!)),
    );

    expect(info.transport).toMatch(/^rest /);
    expect(info.requests).toBeGreaterThan(0);
    expect(typeof info.requests_per_min).toBe("number");
  });

  it("returns a dead worker's tasks in its upkeep and drains them", async () => {
    const dead = "dead-worker-1";
    const tasks = [1, 2, 3].map((n) =>
      JSON.stringify({ id: `dead-${n}`, tipo: "procesar_tickets_vencidos" }),
    );
    await queue.transport.command("SADD", queue.keys.workers, dead);
    await queue.transport.command("RPUSH", queue.keys.inFlight(dead), ...tasks);

    const totals = await start(true).done;

    expect(totals).toMatchObject({ processed: 3, recovered: 3 });
    const ids = (await readRecords(queue, queue.keys.processed)).map(
      (r) => r.id,
    );
    expect(ids.sort()).toEqual(["dead-1", "dead-2", "dead-3"]);
    expect(
      await queue.transport.command("EXISTS", queue.keys.inFlight(dead)),
    ).toBe(0);
    expect(
      await queue.transport.command("SISMEMBER", queue.keys.workers, dead),
    ).toBe(0);
  });

  it("promotes a due retry through its claim, without a promote timer", async () => {
    const task = JSON.stringify({
      id: "due-1",
      tipo: "procesar_tickets_vencidos",
    });
    await queue.transport.command(
      "ZADD",
      queue.keys.retries,
      Date.now() + 300,
      task,
    );

    const totals = await start(true).done;

    expect(totals).toMatchObject({ processed: 1 });
    expect(await queue.transport.command("ZCARD", queue.keys.retries)).toBe(0);
  });

  it("splits an acknowledgement batch the endpoint would refuse as too large", async () => {
    const server = await acquireRestServer();
    const small = createRestTransport({
      url: server.url,
      token: server.token,
      persistent: true,
      maxRequestBytes: 6000,
    });
    const ids = await enqueue(
      queue,
      ...Array.from({ length: 24 }, (_, i) => ({
        tipo: "limpiar_cache",
        claves: [`polling-big:${i}:${"k".repeat(300)}`],
      })),
    );

    try {
      const totals = await createTestWorker(
        { transport: small, keys: queue.keys },
        backend.db,
        { concurrency: 16, timings: TIMINGS },
      ).run();

      expect(totals).toMatchObject({ processed: 24, failed: 0 });
      const done = (await readRecords(queue, queue.keys.processed)).map(
        (r) => r.id,
      );
      expect(done.sort()).toEqual([...ids].sort());
    } finally {
      await small.close();
      await releaseRestServer();
    }
  });

  it("starts the tasks of a claim whose reply was lost, each exactly once", async () => {
    const ids = await enqueue(
      queue,
      ...Array.from({ length: 40 }, () => ({
        tipo: "procesar_tickets_vencidos",
      })),
    );

    const totals = await withLostReplies(4, () => start(true).done);

    expect(totals).toMatchObject({ processed: 40, failed: 0 });
    const done = (await readRecords(queue, queue.keys.processed)).map(
      (r) => r.id,
    );
    expect(done.sort()).toEqual([...ids].sort());
    expect(await queue.transport.command("LLEN", queue.keys.pending)).toBe(0);
  });

  it("records each copy of a text queued many times once, with its own record, when replies are lost", async () => {
    // No id: the worker gives each copy its own. A write sent again after
    // a lost reply must not take another copy's entry and give it its record.
    const raws = [
      ...Array.from({ length: 60 }, () =>
        JSON.stringify({ tipo: "procesar_tickets_vencidos" }),
      ),
      ...Array.from({ length: 60 }, () =>
        JSON.stringify({ tipo: "limpiar_cache", claves: ["polling:k"] }),
      ),
    ];
    await queue.transport.command("RPUSH", queue.keys.pending, ...raws);

    const totals = await withLostReplies(4, () => start(true).done);

    expect(totals).toMatchObject({ processed: 120, failed: 0 });
    const records = await readRecords(queue, queue.keys.processed);
    expect(records).toHaveLength(120);
    expect(new Set(records.map((r) => r.id)).size).toBe(120);
    expect(await queue.transport.command("LLEN", queue.keys.pending)).toBe(0);
  });

  it("keeps each copy its own record while other writes go on during a resend", async () => {
    // One write waits out the REST transport's resend while the other
    // write slot carries on: dozens of writes before the resend lands.
    const count = 3000;
    const raws = Array.from({ length: count }, () => '{"tipo":"nope"}');
    await queue.transport.command("RPUSH", queue.keys.pending, ...raws);
    const worker = createTestWorker(queue, backend.db, {
      drain: true,
      concurrency: 8,
      timings: { ...TIMINGS, pollMs: 5 },
    });

    const totals = await withLostReplies(40, () => {
      running = { worker, done: worker.run() };
      return running.done;
    });

    expect(totals).toMatchObject({ failed: count });
    const records = await readRecords(queue, queue.keys.failed);
    expect(records).toHaveLength(count);
    expect(new Set(records.map((r) => r.id)).size).toBe(count);
  }, 60_000);
});
