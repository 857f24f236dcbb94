/**
 * `batchctl work` after a worker died without a word (SIGKILL, OOM, lost
 * host): another worker returns its tasks once the heartbeat expires, and
 * `--drain` exits when nothing is left.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  exitWithin,
  inFlightIds,
  inFlightKeys,
  jsonLines,
  locate,
  openE2e,
  workerIds,
  type E2eContext,
} from "../helpers/e2e.js";
import { readRecords, waitFor } from "../helpers/redis.js";
import { enqueue } from "../helpers/worker.js";

/** test_fn.reporte_lento sleeps 2 s for this day, so A is killed mid-task. */
const TWO_SECONDS = "2024-01-20";
const SLOW_FN = { BATCH_FN_GENERAR_REPORTE: "test_fn.reporte_lento" };
/** DESIGN.md: a dead worker's tasks are back in the queue within this. */
const RECOVERY_BOUND_MS = 30_000;

describe("batchctl work recovery", () => {
  let ctx: E2eContext;

  beforeAll(async () => {
    ctx = await openE2e("work_recovery");
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => ctx?.close());

  it("recovers the tasks of a SIGKILLed worker and drains them", async () => {
    const ids = await enqueue(
      ctx.queue,
      { tipo: "generar_reporte", fecha: TWO_SECONDS },
      { tipo: "generar_reporte", fecha: TWO_SECONDS },
    );
    const a = ctx.start(
      ["work", "--heartbeat-ttl", "2", "--concurrency", "2"],
      SLOW_FN,
    );
    let deadId = "";
    await waitFor(
      async () => {
        [deadId = ""] = await workerIds(ctx);
        return deadId !== "" && (await inFlightIds(ctx, deadId)).length === 2;
      },
      15_000,
      "worker A to hold both tasks",
    );

    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    expect((await a.exited).signal).toBe("SIGKILL");
    const b = ctx.start(["work", "--drain", "--heartbeat-ttl", "2"], SLOW_FN);
    const exit = await exitWithin(b, RECOVERY_BOUND_MS);

    expect(exit, "worker B still running 30 s after the kill").toBeDefined();
    expect({ code: exit?.code, stderr: b.stderr() }).toEqual({
      code: 0,
      stderr: "",
    });
    expect(exit!.at - killedAt).toBeLessThan(RECOVERY_BOUND_MS);
    const logs = jsonLines(b.lines);
    const recovery = logs.find((line) => line.dead === deadId);
    expect(recovery).toMatchObject({ count: 2 });
    const records = await readRecords(ctx.queue, ctx.queue.keys.processed);
    expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const record of records) {
      expect(record.worker).toBe(recovery?.worker);
      expect(record.resultado).toEqual({ fecha: TWO_SECONDS, lento: true });
    }
    for (const [id, where] of await locate(ctx, ids)) {
      expect(where, `task ${id}`).toEqual(["procesadas"]);
    }
    expect(await inFlightKeys(ctx)).toEqual([]);
    expect(await workerIds(ctx)).toEqual([]);
  });

  it("exits 0 at once with --drain on an empty queue", async () => {
    const worker = ctx.start(["work", "--drain"]);

    const exit = await exitWithin(worker, 10_000);

    expect(
      exit,
      "batchctl work --drain still running after 10 s",
    ).toBeDefined();
    expect({ code: exit?.code, stderr: worker.stderr() }).toEqual({
      code: 0,
      stderr: "",
    });
    const messages = jsonLines(worker.lines).map((line) => line.msg);
    expect(messages).toContain("queue drained");
    expect(await workerIds(ctx)).toEqual([]);
  });
});
