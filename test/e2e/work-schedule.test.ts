/**
 * Periodic tasks across workers: three `batchctl work` processes run the
 * same every-second schedule for about five seconds, and each tick is
 * queued exactly once (ids distinct, ticks consecutive); `stats --json`
 * shows the schedule and its next run meanwhile.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import {
  exitWithin,
  jsonLines,
  locate,
  openE2e,
  type E2eContext,
} from "../helpers/e2e.js";
import { readList, waitFor } from "../helpers/redis.js";

const SCHEDULE = "procesar_tickets_vencidos=* * * * * *";
const ID_PREFIX = "cron:procesar_tickets_vencidos:";
/** How long all three run together. */
const RUN_MS = 5500;

/** `20261203T201507Z` as epoch seconds. */
function tickSeconds(id: string): number {
  const s = id.slice(ID_PREFIX.length);
  const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  return Date.parse(iso) / 1000;
}

describe("batchctl work --schedule on three workers", () => {
  let ctx: E2eContext;

  beforeAll(async () => {
    ctx = await openE2e("work_schedule");
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => ctx?.close());

  it("queues exactly one task per tick", async () => {
    const workers = [1, 2, 3].map(() =>
      ctx.start(["work", "--schedule", SCHEDULE, "--concurrency", "2"]),
    );
    await waitFor(
      () =>
        workers.every((w) =>
          w.lines.some((line) => line.includes("schedules started")),
        ),
      20_000,
      "three workers to start their schedules",
    );
    const allRunningAt = Date.now();

    await new Promise((resolve) => setTimeout(resolve, RUN_MS / 2));
    const stats = await runCli(["stats", "--json"], ctx.env());
    await new Promise((resolve) => setTimeout(resolve, RUN_MS / 2));
    const firstStopAt = Date.now();
    for (const w of workers) w.child.kill("SIGTERM");
    for (const w of workers)
      expect((await exitWithin(w, 15_000))?.code).toBe(0);

    const { keys } = ctx.queue;
    const entries = [
      ...(await readList(ctx.queue, keys.processed)),
      ...(await readList(ctx.queue, keys.failed)),
      ...(await readList(ctx.queue, keys.pending)),
    ].map((raw) => JSON.parse(raw) as { id: string; error?: unknown });
    const ids = entries
      .map((e) => e.id)
      .filter((id) => id.startsWith(ID_PREFIX));
    expect(entries.filter((e) => e.error)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const ticks = ids.map(tickSeconds).sort((a, b) => a - b);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.slice(1).map((t, i) => t - ticks[i]!)).toEqual(
      ticks.slice(1).map(() => 1),
    );
    // Every tick while all three ran is there (first and last are bounds).
    const firstFull = Math.ceil(allRunningAt / 1000);
    const lastFull = Math.floor(firstStopAt / 1000) - 1;
    for (let t = firstFull; t <= lastFull; t++) expect(ticks).toContain(t);
    // A tick queued while the others were stopping may still be pending.
    for (const [id, where] of await locate(ctx, ids)) {
      expect(where, `task ${id}`).toHaveLength(1);
      expect(["procesadas", "procesar"], `task ${id}`).toContain(where[0]);
    }

    // Each tick was queued by one worker; the others found it done.
    const queued = workers.flatMap((w) =>
      jsonLines(w.lines)
        .filter((line) => line.msg === "scheduled task queued")
        .map((line) => line.tick as string),
    );
    expect(queued.sort()).toEqual(
      ticks.map((t) => new Date(t * 1000).toISOString()),
    );

    expect(stats.code).toBe(0);
    const { schedules, at } = JSON.parse(stats.stdout);
    expect(schedules).toEqual([
      expect.objectContaining({
        name: "procesar_tickets_vencidos",
        tipo: "procesar_tickets_vencidos",
        cron: "* * * * * *",
        timezone: "UTC",
      }),
    ]);
    const untilNext = Date.parse(schedules[0].next_run) - Date.parse(at);
    expect(untilNext).toBeGreaterThan(0);
    expect(untilNext).toBeLessThanOrEqual(1000);
  });

  it("refuses a bad schedule in one line with exit 2, touching nothing", async () => {
    const result = await runCli(
      [
        "work",
        "--schedule",
        'generar_reporte {"fecha":"2024-13-01"}=0 2 * * *',
      ],
      ctx.env(),
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'batchctl: --schedule "generar_reporte {"fecha":"2024-13-01"}=0 2 * * *": fecha: is not a real calendar date\n',
    );
    expect(result.stdout).toBe("");
  });

  it("refuses a schedule that would purge the queue's own keys", async () => {
    const own = `${ctx.queue.keys.prefix}:procesadas`;
    const spec = `limpiar_cache {"claves":["${own}"]}=* * * * *`;

    const result = await runCli(["work", "--schedule", spec], ctx.env());

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^batchctl: --schedule: limpiar_cache: claves\.0: is a key of the queue itself .*\n$/,
    );
  });
});
