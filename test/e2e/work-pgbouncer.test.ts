/**
 * `batchctl work` with DATABASE_URL_BATCH pointing at PgBouncer in
 * transaction mode (configured as the README says): every task is
 * processed, and the worker says once that it stopped preparing calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_BATCH_ROLE } from "../helpers/pg.js";
import {
  hasPgbouncer,
  startPgbouncer,
  type PrivateBouncer,
} from "../helpers/pgbouncer.js";
import { openE2e, jsonLines, type E2eContext } from "../helpers/e2e.js";
import { readRecords } from "../helpers/redis.js";
import { enqueue } from "../helpers/worker.js";

const TASKS = 60;

describe.skipIf(!hasPgbouncer)("batchctl work behind PgBouncer", () => {
  let ctx: E2eContext;
  let bouncer: PrivateBouncer;

  beforeAll(async () => {
    ctx = await openE2e("work_pgbouncer");
    bouncer = await startPgbouncer({
      users: [TEST_BATCH_ROLE],
      serverPoolSize: 2,
    });
  });

  afterAll(async () => {
    await ctx?.cleanup();
    await ctx?.close();
    await bouncer?.destroy();
  });

  it("processes every task through two server sessions and warns once", async () => {
    const days = Array.from({ length: TASKS }, (_, i) =>
      new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10),
    );
    await enqueue(
      ctx.queue,
      ...days.map((fecha) => ({ tipo: "generar_reporte", fecha })),
    );
    const url = bouncer.urlFor(ctx.backend.batchUrl as string);

    const worker = ctx.start(["work", "--drain", "--concurrency", "4"], {
      DATABASE_URL_BATCH: url,
    });
    const { code } = await worker.exited;

    expect(code, worker.stderr()).toBe(0);
    const records = await readRecords(ctx.queue, ctx.queue.keys.processed);
    const reported = records.map((r) => r.tarea.fecha).sort();
    expect(reported).toEqual(days);
    expect(await readRecords(ctx.queue, ctx.queue.keys.failed)).toEqual([]);
    const warnings = jsonLines(worker.lines).filter((line) =>
      /refused a prepared statement/.test(line.msg),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
  });

  it("names PgBouncer's setting when it refuses the login's statement_timeout", async () => {
    const strict = await startPgbouncer({
      users: [TEST_BATCH_ROLE],
      serverPoolSize: 1,
      ignoresTimeout: false,
    });
    const url = strict.urlFor(ctx.backend.batchUrl as string);

    const env = { DATABASE_URL_BATCH: url };
    const worker = ctx.start(["work", "--drain"], env);
    const doctor = ctx.start(["doctor"], env);
    const [workExit, doctorExit] = await Promise.all([
      worker.exited,
      doctor.exited,
    ]).finally(() => strict.destroy());

    const hint =
      /unsupported startup parameter: statement_timeout .*add statement_timeout to PgBouncer's ignore_startup_parameters\n$/;
    expect(workExit.code).toBe(3);
    expect(worker.stderr()).toMatch(hint);
    // doctor logs in as work does, so it fails where work cannot start.
    expect(doctorExit.code).toBe(1);
    const databaseLine = doctor.lines.find((l) => /database/.test(l)) ?? "";
    expect(databaseLine).toMatch(/^FAIL .*ignore_startup_parameters$/);
  });
});
