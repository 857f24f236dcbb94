/**
 * The TUI's actions against the real Redis: each key pressed, its
 * confirmation, the outcome in the status line and in Redis.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueueContext } from "../../src/queue/index.js";
import {
  createTestQueue,
  readList,
  readRecords,
  TRANSPORTS,
} from "../helpers/redis.js";
import {
  failureRecord,
  KEYS,
  pushFailures,
  renderTui,
  type RenderedTui,
} from "../helpers/ui.js";

describe.each(TRANSPORTS)("tui actions over %s", (transport) => {
  const queue = createTestQueue(`ui-actions-${transport}`, transport);
  let tui: RenderedTui | undefined;

  const failedIds = async () =>
    (await readRecords(queue, queue.keys.failed)).map((r) => r.id);
  const pendingTasks = () => readRecords(queue, queue.keys.pending);
  const auditCommands = async () =>
    (await readRecords(queue, queue.keys.audit)).map((entry) =>
      `${entry.origin} ${entry.command} ${entry.count} ${entry.detail ?? ""}`.trim(),
    );

  beforeEach(async () => {
    await pushFailures(
      queue,
      failureRecord("f-1", {
        error: {
          mensaje: "deadlock detected",
          clase: "transitorio",
          codigo: "40P01",
        },
      }),
      failureRecord("f-2", {
        error: {
          mensaje: "deadlock detected",
          clase: "transitorio",
          codigo: "40P01",
        },
      }),
      failureRecord("f-3", {
        tipo: "limpiar_cache",
        tarea: { tipo: "limpiar_cache", claves: ["k"] },
      }),
      failureRecord("f-raw", {
        tipo: null,
        tarea: undefined,
        crudo: "not json",
        error: { mensaje: "task: is not valid JSON", clase: "validacion" },
      }),
    );
  });
  afterEach(async () => {
    tui?.unmount();
    tui = undefined;
    await queue.cleanup();
  });
  afterAll(() => queue.transport.close());

  async function open(options: Parameters<typeof renderTui>[1] = {}) {
    tui = renderTui(queue, { initialList: "fallidas", ...options });
    await tui.waitFor("f-raw");
    return tui;
  }

  describe("keys", () => {
    it("r retries the selected failed task as its original task, attempts reset", async () => {
      const ui = await open();
      await ui.press(KEYS.down, "r");
      await ui.waitFor("retried 1 task f-2");
      expect(await failedIds()).toEqual(["f-1", "f-3", "f-raw"]);
      expect(await pendingTasks()).toEqual([
        { tipo: "generar_reporte", fecha: "2024-01-15", id: "f-2" },
      ]);
      expect(await auditCommands()).toEqual(["tui retry 1 --id f-2"]);
      await ui.waitFor("6 fallidas 3");
    });

    it("r from the detail pane retries the record shown", async () => {
      const ui = await open();
      await ui.press(KEYS.enter);
      await ui.waitFor("id           f-1");
      await ui.press("r");
      await ui.waitFor("retried 1 task f-1");
      expect(await failedIds()).toEqual(["f-2", "f-3", "f-raw"]);
    });

    it("R asks with the count, then retries every task shown; a raw task stays", async () => {
      const ui = await open();
      await ui.press("R");
      await ui.waitFor("Retry 4 failed tasks? [y/N]");
      await ui.press("y");
      await ui.waitFor("retried 3 failed tasks; 1 not retryable");
      expect(await failedIds()).toEqual(["f-raw"]);
      expect((await pendingTasks()).map((t) => t.id)).toEqual([
        "f-3",
        "f-2",
        "f-1",
      ]);
    });

    it("R with a filter counts and retries only the matches; n cancels", async () => {
      const ui = await open();
      await ui.press("/");
      await ui.type("deadlock");
      await ui.press(KEYS.enter);
      await ui.waitFor("fallidas 1/2");
      await ui.press("R");
      await ui.waitFor("Retry 2 failed tasks matching “deadlock”? [y/N]");
      await ui.press("n");
      await ui.waitFor("cancelled");
      expect(await failedIds()).toHaveLength(4);
      await ui.press("R");
      await ui.waitFor("[y/N]");
      await ui.press("y");
      await ui.waitFor("retried 2 failed tasks");
      expect(await failedIds()).toEqual(["f-3", "f-raw"]);
    });

    it("d deletes the selected record after a confirmation", async () => {
      const ui = await open();
      await ui.press(KEYS.down, KEYS.down, "d");
      await ui.waitFor("Delete f-3 (limpiar_cache) from fallidas? [y/N]");
      await ui.press("y");
      await ui.waitFor("deleted 1 entry f-3 from fallidas");
      expect(await failedIds()).toEqual(["f-1", "f-2", "f-raw"]);
      expect(await auditCommands()).toEqual(["tui delete 1 f-3 from fallidas"]);
    });

    it("g then R retries a whole group after confirming its size", async () => {
      const ui = await open();
      await ui.press("g");
      await ui.waitFor(/› +2 generar_reporte +transitorio/);
      await ui.press("R");
      await ui.waitFor(
        /Retry the group of 2 generar_reporte failures “deadlock detected”\? \[y\/N\]/,
      );
      await ui.press("y");
      await ui.waitFor("retried 2 failed tasks of the group");
      expect(await failedIds()).toEqual(["f-3", "f-raw"]);
      await ui.waitFor("2 groups in 2 failures");
    });

    it("g then D deletes a whole group", async () => {
      const ui = await open();
      await ui.press("g");
      await ui.waitFor("Failure groups");
      await ui.press(KEYS.down, KEYS.down);
      await ui.press("D");
      await ui.waitFor(
        /Delete the group of 1 invalida failures “task: is not valid JSON”/,
      );
      await ui.press("y");
      await ui.waitFor("deleted 1 records of the group");
      expect(await failedIds()).toEqual(["f-1", "f-2", "f-3"]);
    });

    it("e enqueues a task, showing validation errors next to the field", async () => {
      const ui = await open();
      await ui.press("e");
      await ui.waitFor("Enqueue a task");
      await ui.press(KEYS.right, KEYS.right);
      await ui.waitFor("‹ generar_reporte ›");
      await ui.press(KEYS.tab);
      await ui.type("2024-02-30");
      await ui.press(KEYS.enter);
      await ui.waitFor(/fecha +\[2024-02-30▏\] ✗ is not a real calendar date/);
      await ui.press(...Array.from({ length: 2 }, () => KEYS.backspace));
      await ui.type("29");
      await ui.press(KEYS.enter);
      const frame = await ui.waitFor("queued generar_reporte");
      const id = /queued generar_reporte (\S+)/.exec(frame)?.[1];
      const [task] = await pendingTasks();
      expect(task).toMatchObject({
        tipo: "generar_reporte",
        fecha: "2024-02-29",
      });
      expect(id && task?.id.startsWith(id.replace("…", ""))).toBe(true);
      expect(await auditCommands()).toEqual([
        `tui enqueue 1 generar_reporte ${task?.id}`,
      ]);
    });

    it("c purges typed cache keys after confirming, and says how many existed", async () => {
      await queue.transport.command("SET", "test:ui-cache:a", "1");
      await queue.transport.command("SET", "test:ui-cache:b", "1");
      const ui = await open();
      await ui.press("c");
      await ui.type("test:ui-cache:a test:ui-cache:b test:ui-cache:none");
      await ui.press(KEYS.enter);
      await ui.waitFor("Delete 3 cache keys now");
      await ui.press("y");
      await ui.waitFor("purged cache: 2 of 3 keys existed");
      expect(
        await queue.transport.command(
          "EXISTS",
          "test:ui-cache:a",
          "test:ui-cache:b",
        ),
      ).toBe(0);
      expect(await auditCommands()).toEqual([
        "tui purge-cache 2 now: test:ui-cache:a test:ui-cache:b test:ui-cache:none",
      ]);
    });

    it("c refuses a key of the queue itself", async () => {
      const ui = await open();
      await ui.press("c");
      await ui.type(queue.keys.failed);
      await ui.press(KEYS.enter, "y");
      await ui.waitFor("is a key of the queue");
      expect(await failedIds()).toHaveLength(4);
    });

    it("P pauses every worker after confirming, and P again resumes", async () => {
      const ui = await open();
      await ui.press("P");
      await ui.waitFor("Pause every worker?");
      await ui.press("y");
      await ui.waitFor("PAUSED");
      expect(await queue.transport.command("EXISTS", queue.keys.pause)).toBe(1);
      await ui.press("P");
      await ui.waitFor("Resume every worker? [y/N]");
      await ui.press("y");
      await ui.waitFor((f) => f.includes("resumed") && !f.includes("PAUSED"));
      expect(await queue.transport.command("EXISTS", queue.keys.pause)).toBe(0);
      const audit = await auditCommands();
      expect(
        audit.map((line) => line.split(" ").slice(0, 2).join(" ")),
      ).toEqual(["tui resume", "tui pause"]);
    });

    it("--read-only turns every action off and says so", async () => {
      const ui = await open({ isReadOnly: true });
      expect(ui.lastFrame()).toContain("READ-ONLY");
      expect(ui.lastFrame()).toContain("read-only: actions off");
      for (const key of ["r", "R", "d", "e", "c", "P"]) {
        await ui.press(key);
        await ui.waitFor("read-only:");
        expect(ui.lastFrame()).not.toContain("[y/N]");
      }
      expect(await failedIds()).toHaveLength(4);
      expect(await readList(queue, queue.keys.pending)).toEqual([]);
      expect(await queue.transport.command("EXISTS", queue.keys.pause)).toBe(0);
      expect(await auditCommands()).toEqual([]);
    });

    it("r on a list other than fallidas explains instead of acting", async () => {
      const ui = await open();
      await ui.press("1", "r");
      await ui.waitFor("r retries failed tasks: open fallidas (6)");
    });
  });
});

export type { QueueContext };
