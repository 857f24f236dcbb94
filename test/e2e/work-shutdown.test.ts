/**
 * `batchctl work` stopped by signals, as a process supervisor stops it:
 * in-flight tasks finish (or go back to the queue), nothing is lost or
 * duplicated, and the worker unregisters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  exitWithin,
  idsInList,
  inFlightIds,
  inFlightKeys,
  locate,
  openE2e,
  workerIds,
  type CliProcess,
  type E2eContext,
} from "../helpers/e2e.js";
import { readRecords, waitFor } from "../helpers/redis.js";
import { enqueue } from "../helpers/worker.js";

/** test_fn.reporte_lento sleeps day-of-month / 10 seconds. */
const ONE_SECOND = "2024-01-10";
const THREE_SECONDS = "2024-01-31"; // 3.1 s
const SLOW_FN = { BATCH_FN_GENERAR_REPORTE: "test_fn.reporte_lento" };

describe("batchctl work shutdown", () => {
  let ctx: E2eContext;

  beforeAll(async () => {
    ctx = await openE2e("work_shutdown");
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => ctx?.close());

  const enqueueReports = (count: number, fecha: string) => {
    const task = { tipo: "generar_reporte", fecha };
    return enqueue(ctx.queue, ...Array.from({ length: count }, () => task));
  };

  /** Starts a worker and waits until `count` tasks are in its in-flight list. */
  async function startBusyWorker(args: string[], count: number) {
    const worker = ctx.start(["work", ...args], SLOW_FN);
    let id = "";
    let inFlight: string[] = [];
    await waitFor(
      async () => {
        [id = ""] = await workerIds(ctx);
        inFlight = id ? await inFlightIds(ctx, id) : [];
        return inFlight.length === count;
      },
      15_000,
      `${count} tasks in flight`,
    );
    return { worker, id, inFlight };
  }

  /** Asserts each id is in exactly one place, and returns those places. */
  async function expectEachOnce(ids: string[]) {
    const places = await locate(ctx, ids);
    for (const [id, where] of places)
      expect(where, `task ${id}`).toHaveLength(1);
    return places;
  }

  async function expectWorkerGone(worker: string) {
    expect(await inFlightKeys(ctx)).toEqual([]);
    expect(await workerIds(ctx)).not.toContain(worker);
    expect(
      await ctx.queue.transport.command(
        "EXISTS",
        ctx.queue.keys.heartbeat(worker),
      ),
    ).toBe(0);
  }

  /** Exit code, signal and stderr; a worker still up after 10 s has none. */
  const exitCode = async (worker: CliProcess) => {
    const exit = await exitWithin(worker, 10_000);
    return { code: exit?.code, signal: exit?.signal, stderr: worker.stderr() };
  };

  it("finishes in-flight tasks on SIGTERM and leaves the rest queued", async () => {
    const slow = await enqueueReports(4, ONE_SECOND);
    const rest = await enqueueReports(10, ONE_SECOND);
    const { worker, id, inFlight } = await startBusyWorker(
      ["--concurrency", "4"],
      4,
    );

    worker.child.kill("SIGTERM");

    expect(await exitCode(worker)).toEqual({
      code: 0,
      signal: null,
      stderr: "",
    });
    expect(inFlight).toEqual(slow);
    const processed = await readRecords(ctx.queue, ctx.queue.keys.processed);
    expect(processed.map((r) => r.id).sort()).toEqual([...slow].sort());
    for (const record of processed) {
      expect(record).toMatchObject({
        worker: id,
        intentos: 1,
        resultado: { fecha: ONE_SECOND, lento: true },
      });
    }
    expect(await idsInList(ctx, ctx.queue.keys.pending)).toEqual(rest);
    const places = await expectEachOnce([...slow, ...rest]);
    for (const task of slow) expect(places.get(task)).toEqual(["procesadas"]);
    await expectWorkerGone(id);
  });

  it("returns in-flight tasks to the head of the queue after --shutdown-timeout", async () => {
    const slow = await enqueueReports(2, THREE_SECONDS);
    const rest = await enqueueReports(2, THREE_SECONDS);
    const { worker, id, inFlight } = await startBusyWorker(
      ["--concurrency", "2", "--shutdown-timeout", "0.5"],
      2,
    );

    const signalledAt = Date.now();
    worker.child.kill("SIGTERM");

    expect(await exitCode(worker)).toEqual({
      code: 0,
      signal: null,
      stderr: "",
    });
    const stoppedAfterMs = (await worker.exited).at - signalledAt;
    // The tasks still had more than 2.5 s to run: waiting for them is the
    // bug. The margin over 0.5 s is for a loaded machine.
    expect(stoppedAfterMs).toBeGreaterThanOrEqual(400);
    expect(stoppedAfterMs).toBeLessThan(2500);
    expect(inFlight).toEqual(slow);
    expect(await idsInList(ctx, ctx.queue.keys.pending)).toEqual([
      ...slow,
      ...rest,
    ]);
    await expectEachOnce([...slow, ...rest]);
    expect(
      await ctx.queue.transport.command("LLEN", ctx.queue.keys.processed),
    ).toBe(0);
    expect(
      await ctx.queue.transport.command("LLEN", ctx.queue.keys.failed),
    ).toBe(0);
    await expectWorkerGone(id);
  });

  it.each([["SIGTERM"], ["SIGINT"]] as const)(
    "returns in-flight tasks at once on a second signal (%s)",
    async (second) => {
      const slow = await enqueueReports(2, THREE_SECONDS);
      const { worker, id } = await startBusyWorker(["--concurrency", "2"], 2);

      worker.child.kill("SIGTERM");
      await waitFor(
        () => worker.lines.some((line) => line.includes("stopping")),
        5000,
        "the first stop to be logged",
      );
      const signalledAt = Date.now();
      worker.child.kill(second);

      expect(await exitCode(worker)).toEqual({
        code: 0,
        signal: null,
        stderr: "",
      });
      // Default --shutdown-timeout is 25 s and the tasks need ~3 s: only
      // the second signal explains an exit this soon.
      expect((await worker.exited).at - signalledAt).toBeLessThan(1500);
      expect(await idsInList(ctx, ctx.queue.keys.pending)).toEqual(slow);
      await expectEachOnce(slow);
      expect(
        await ctx.queue.transport.command("LLEN", ctx.queue.keys.processed),
      ).toBe(0);
      await expectWorkerGone(id);
    },
  );

  it("stops on SIGTERM even while Redis is unreachable", async () => {
    const worker = ctx.start(["work"], { REDIS_URL: "redis://127.0.0.1:1" });
    await waitFor(
      () => worker.lines.some((line) => line.includes("Redis connection lost")),
      10_000,
      "the worker to report Redis unreachable",
    );

    const signalledAt = Date.now();
    worker.child.kill("SIGTERM");
    const stopped = await exitWithin(worker, 5000);

    expect(
      stopped,
      "batchctl work still running 5 s after SIGTERM",
    ).toBeDefined();
    expect(stopped!.at - signalledAt).toBeLessThan(5000);
    expect(stopped!.signal).toBeNull();
  });
});
