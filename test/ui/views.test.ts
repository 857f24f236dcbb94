/**
 * The TUI's views against the real Redis: header, list views, detail,
 * help, groups, filter, freeze, and the 80x24 and wide layouts.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkerQueue, enqueueTasks } from "../../src/queue/index.js";
import { createTestQueue } from "../helpers/redis.js";
import {
  failureRecord,
  KEYS,
  pushFailures,
  renderTui,
  type RenderedTui,
} from "../helpers/ui.js";

const queue = createTestQueue("ui-views");
let tui: RenderedTui | undefined;

async function seed() {
  await enqueueTasks(queue, [
    { tipo: "generar_reporte", fecha: "2024-01-15", id: "pend-0001" },
    { tipo: "procesar_tickets_vencidos", id: "pend-0002" },
  ]);
  await pushFailures(
    queue,
    failureRecord("fail-newest", {
      tipo: "notificar_ticket_creado",
      tarea: {
        tipo: "notificar_ticket_creado",
        ticket_id: "0b7d3c1e-8f4a-4f5e-9a1b-2c3d4e5f6a7b",
      },
      error: {
        mensaje: "ticket 0b7d3c1e-8f4a-4f5e-9a1b-2c3d4e5f6a7b does not exist",
        clase: "permanente",
        codigo: "P0001",
      },
    }),
    failureRecord("fail-middle"),
    failureRecord("fail-oldest"),
  );
  await queue.transport.command(
    "ZADD",
    queue.keys.retries,
    Date.now() + 90_000,
    JSON.stringify({
      tipo: "generar_reporte",
      fecha: "2024-01-16",
      id: "retry-0001",
      intentos: 2,
    }),
  );
}

beforeEach(seed);
afterEach(async () => {
  tui?.unmount();
  tui = undefined;
  await queue.cleanup();
});
afterAll(() => queue.transport.close());

describe("tui views", () => {
  it("shows the counts of the six lists and the connection in the header", async () => {
    tui = renderTui(queue);
    const frame = await tui.waitFor("6 fallidas 3");
    expect(frame).toContain("1 procesar 2");
    expect(frame).toContain("3 reintentos 1");
    expect(frame).toContain("● connected");
    expect(frame).toContain(queue.keys.prefix);
    expect(frame).toMatch(/workers 0 live/);
    expect(frame).toContain(`@ tcp ${queue.transport.target}`);
    expect(frame).not.toContain("req/min");
  });

  it("over REST names the transport and the workers' requests per minute", async () => {
    const rest = createTestQueue("ui-views-rest", "rest");
    try {
      const worker = createWorkerQueue({ ...rest, worker: "w-rest" });
      await worker.heartbeat(
        {
          id: "w-rest",
          host: "h",
          pid: 1,
          started_at: new Date().toISOString(),
          concurrency: 8,
          in_flight: 0,
          processed: 0,
          failed: 0,
          transport: `rest ${rest.transport.target}`,
          requests: 100,
          requests_per_min: 24,
          version: "test",
        },
        10_000,
      );
      tui = renderTui(rest);
      const frame = await tui.waitFor("workers 1 live");
      expect(frame).toContain(`@ rest ${rest.transport.target}`);
      expect(frame).toContain("24 req/min");
    } finally {
      await rest.cleanup();
      await rest.transport.close();
    }
  });

  it("switches lists with 1-6 and tab, newest failure first", async () => {
    tui = renderTui(queue);
    await tui.waitFor("pend-000");
    await tui.press("6");
    let frame = await tui.waitFor("fail-new");
    const rows = frame.split("\n").filter((l) => l.includes("fail-"));
    expect(rows.map((l) => l.match(/fail-\w{3}/)?.[0])).toEqual([
      "fail-new",
      "fail-mid",
      "fail-old",
    ]);
    expect(rows[0]).toContain("ticket 0b7d3c1e");
    await tui.press(KEYS.tab);
    frame = await tui.waitFor(/› pend-000/);
    await tui.press("3");
    frame = await tui.waitFor("retry-00");
    expect(frame).toMatch(/retry-00 +generar_reporte +in 1m/);
  });

  it("opens a detail pane with the error, timings and pretty JSON, scrollable", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press(KEYS.enter);
    const frame = await tui.waitFor("Detail");
    expect(frame).toContain("id           fail-newest");
    expect(frame).toMatch(/error +permanente \(P0001\): ticket/);
    expect(frame).toContain("terminada_en");
    expect(frame).toContain(
      '"ticket_id": "0b7d3c1e-8f4a-4f5e-9a1b-2c3d4e5f6a7b"',
    );
    await tui.press(KEYS.down, KEYS.down, KEYS.down);
    const scrolled = await tui.waitFor(
      (f) => !f.includes("id           fail-newest"),
    );
    expect(scrolled).toMatch(/Detail 4-/);
    await tui.press(KEYS.escape);
    await tui.waitFor("fail-mid");
  });

  it("shows a hostile record's escape codes as text, in the list, the detail and the groups", async () => {
    const codes = "\u001b]0;pwned\u0007\u001b[2J\u009b31m";
    await pushFailures(
      queue,
      failureRecord("fail-hostile", {
        tipo: codes,
        tarea: { tipo: codes },
        error: { mensaje: `bad ${codes} news`, clase: "validacion" },
      }),
    );
    tui = renderTui(queue, { initialList: "fallidas", width: 120 });
    const frames = [await tui.waitFor("fail-hos")];
    await tui.press(KEYS.enter);
    frames.push(await tui.waitFor("id           fail-hostile"));
    await tui.press(KEYS.escape, "g");
    frames.push(await tui.waitFor("Failure groups"));

    for (const frame of frames) {
      expect(frame).not.toMatch(/\u0007|\u009b|\u001b\]|\u001b\[2J/);
      expect(frame).toContain("\\u001b]0;pwned\\u0007");
    }
  });

  it("copies the selected id with y", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press(KEYS.down, "y");
    await tui.waitFor("copied fail-middle");
    expect(tui.copied).toEqual(["fail-middle"]);
  });

  it("shows help built from the key table", async () => {
    tui = renderTui(queue, { height: 60 });
    await tui.waitFor("pend-000");
    await tui.press("?");
    const frame = await tui.waitFor("Keys");
    expect(frame).toContain("retry every failed task shown");
    expect(frame).toContain("pause / resume every worker");
    expect(frame).toMatch(/R +retry every failed task shown \[asks first\]/);
  });

  it("groups failures by error and shows counts", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press("g");
    const frame = await tui.waitFor("Failure groups");
    expect(frame).toContain("2 groups in 3 failures");
    expect(frame).toMatch(
      /2 generar_reporte +transitorio .*connection terminated/,
    );
    expect(frame).toMatch(
      /1 notificar_ticket_creado +permanente .*ticket <uuid> does not/,
    );
  });

  it("regroups failures by itself while the groups view is open", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press("g");
    await tui.waitFor(/› +2 generar_reporte/);
    await pushFailures(queue, failureRecord("fail-more"));
    const frame = await tui.waitFor(/› +3 generar_reporte/);
    expect(frame).toContain("2 groups in 4 failures");
  });

  it("filters by tipo and by text, and esc clears the filter", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press("/");
    await tui.type("notificar_ticket_creado");
    await tui.press(KEYS.enter);
    let frame = await tui.waitFor("fallidas 1/1 · “notificar_ticket_creado”");
    await tui.waitFor((f) => !f.includes("fail-mid"));
    expect(frame).toContain("fail-new");
    await tui.press("/");
    await tui.press(...Array.from({ length: 30 }, () => KEYS.backspace));
    await tui.type("FAIL-OLD");
    await tui.press(KEYS.enter);
    frame = await tui.waitFor(
      (f) => f.includes("fail-old") && !f.includes("fail-new"),
    );
    expect(frame).toContain("fallidas 1/1");
    await tui.press(KEYS.escape);
    await tui.waitFor((f) => f.includes("fail-new") && f.includes("fail-old"));
  });

  it("freezes the live list with space and goes live again", async () => {
    tui = renderTui(queue, { initialList: "procesar" });
    await tui.waitFor("pend-000");
    await tui.press(" ");
    await tui.waitFor("FROZEN");
    await enqueueTasks(queue, [
      { tipo: "procesar_tickets_vencidos", id: "late-0001" },
    ]);
    await tui.waitFor("1 procesar 3");
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(tui.lastFrame()).not.toContain("late-000");
    await tui.press(" ");
    await tui.waitFor("late-000");
  });

  it("shows new entries within a refresh without moving the selection", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    await tui.waitFor("fail-new");
    await tui.press(KEYS.down);
    await tui.waitFor(/› fail-mid/);
    await pushFailures(queue, failureRecord("fail-latest"));
    const frame = await tui.waitFor("fail-lat");
    expect(frame).toMatch(/› fail-mid/);
    expect(frame).toContain("fallidas 3/4");
  });

  it("fits 80x24 and uses extra width when wide", async () => {
    tui = renderTui(queue, { initialList: "fallidas" });
    const narrow = await tui.waitFor("fail-new");
    const lines = narrow.split("\n");
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    tui.unmount();

    tui = renderTui(queue, { initialList: "fallidas", width: 160, height: 40 });
    const wide = await tui.waitFor("fail-newest");
    expect(wide).toContain("clase");
    expect(wide).toContain(
      "ticket 0b7d3c1e-8f4a-4f5e-9a1b-2c3d4e5f6a7b does not exist",
    );
    expect(wide.split("\n")[2]).toContain("1 procesar 2"); // tabs on one line
  });
});
