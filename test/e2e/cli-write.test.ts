/**
 * The commands that change a queue, run as the built binary: enqueue
 * (--json, --file, --at/--in, --wait), retry, delete, purge, purge-cache,
 * pause/resume with a running worker, audit; their output and exit codes,
 * with Redis reached over TCP and over REST.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli.js";
import { locate, openE2e, type E2eContext } from "../helpers/e2e.js";
import {
  readList,
  readRecords,
  TRANSPORTS,
  waitFor,
} from "../helpers/redis.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_TICKET = "00000000-0000-4000-8000-000000000000";

/** stderr split into lines, without the final newline. */
const stderrLines = (result: CliResult) =>
  result.stderr.replace(/\n$/, "").split("\n");

describe.each(TRANSPORTS)("batchctl write commands over %s", (kind) => {
  let ctx: E2eContext;
  let dir: string;

  beforeAll(async () => {
    ctx = await openE2e(`cli_write_${kind}`, kind);
    dir = await mkdtemp(join(tmpdir(), "batchctl-write-"));
  });
  afterEach(() => ctx.cleanup());
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await ctx?.close();
  });

  const cli = (args: string[], input?: string) =>
    runCli(args, ctx.env(), input);
  const keys = () => ctx.queue.keys;
  const command = <T>(...args: [string, ...(string | number)[]]) =>
    ctx.queue.transport.command<T>(...args);
  const pending = async () =>
    (await readList(ctx.queue, keys().pending)).map((raw) => JSON.parse(raw));
  const failedIds = async () =>
    (await readRecords(ctx.queue, keys().failed)).map((r) => r.id as string);

  /** Pushes failure records as a worker writes them; returns their ids. */
  async function seedFailures(...tareas: unknown[]): Promise<string[]> {
    const records = tareas.map((tarea) => {
      const id = randomUUID();
      const isObject = typeof tarea === "object" && tarea !== null;
      return {
        id,
        tipo: isObject ? (tarea as { tipo: string }).tipo : null,
        ...(typeof tarea === "string" ? { crudo: tarea } : { tarea }),
        intentos: 3,
        encolada_en: null,
        iniciada_en: new Date().toISOString(),
        terminada_en: new Date().toISOString(),
        duracion_ms: 1,
        worker: "e2e",
        error: { mensaje: "boom", clase: "permanente" },
      };
    });
    const values = records.map((r) => JSON.stringify(r));
    await command("LPUSH", keys().failed, ...values);
    return records.map((r) => r.id);
  }

  describe("enqueue", () => {
    it("takes one task as --json and prints its id", async () => {
      const result = await cli([
        "enqueue",
        "--json",
        '{"tipo":"generar_reporte","fecha":"2024-01-15"}',
      ]);

      expect(result).toMatchObject({ code: 0, stderr: "" });
      const id = result.stdout.trim();
      expect(id).toMatch(UUID);
      expect(await pending()).toEqual([
        expect.objectContaining({
          id,
          tipo: "generar_reporte",
          fecha: "2024-01-15",
        }),
      ]);
    });

    it("queues every line of --file in order and prints one id per line", async () => {
      const file = join(dir, "three.ndjson");
      await writeFile(
        file,
        [
          '{"tipo":"procesar_tickets_vencidos"}',
          '{"tipo":"generar_reporte","fecha":"2024-01-15"}',
          "",
          '{"tipo":"limpiar_cache","claves":["a","b"],"id":"mine-1"}',
          "",
        ].join("\n"),
      );

      const result = await cli(["enqueue", "--file", file]);

      expect(result.code).toBe(0);
      const ids = result.stdout.trim().split("\n");
      expect(ids).toHaveLength(3);
      expect(ids[2]).toBe("mine-1");
      expect((await pending()).map((task) => task.id)).toEqual(ids);
      const [audit] = jsonOf(await cli(["audit", "--json"]));
      expect(audit).toMatchObject({ command: "enqueue", count: 3 });
    });

    it("pushes nothing when line 3 of the file is bad, and names that line", async () => {
      const lines = [
        '{"tipo":"procesar_tickets_vencidos"}',
        '{"tipo":"generar_reporte","fecha":"2024-01-15"}',
        '{"tipo":"generar_reporte","fecha":"2024-13-01"}',
        '{"tipo":"procesar_tickets_vencidos"}',
      ];
      const file = join(dir, "bad.ndjson");
      await writeFile(file, lines.join("\n"));

      const result = await cli(["enqueue", "--file", file]);

      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toContain(`${file} line 3: fecha`);
      expect(await pending()).toEqual([]);
    });

    it("reads --file - from stdin", async () => {
      const input = '{"tipo":"procesar_tickets_vencidos"}\n'.repeat(2);

      const result = await cli(["enqueue", "--file", "-"], input);

      expect(result.code).toBe(0);
      expect(result.stdout.trim().split("\n")).toHaveLength(2);
      expect(await pending()).toHaveLength(2);
    });

    it("schedules with --in and --at into programadas", async () => {
      const before = Date.now();
      const later = await cli([
        "enqueue",
        "procesar_tickets_vencidos",
        "--in",
        "10m",
      ]);
      const at = "2030-01-02T03:04:05Z";
      const fixed = await cli([
        "enqueue",
        "--json",
        '{"tipo":"procesar_tickets_vencidos"}',
        "--at",
        at,
      ]);

      expect([later.code, fixed.code]).toEqual([0, 0]);
      const score = async (id: string) => Number(await scoreOf(id));
      const inScore = await score(later.stdout.trim());
      expect(inScore).toBeGreaterThanOrEqual(before + 600_000);
      expect(inScore).toBeLessThan(Date.now() + 600_000);
      expect(await score(fixed.stdout.trim())).toBe(Date.parse(at));
      expect(await pending()).toEqual([]);
    });

    async function scoreOf(id: string): Promise<string | undefined> {
      const members = await command<string[]>(
        "ZRANGE",
        keys().scheduled,
        0,
        -1,
        "WITHSCORES",
      );
      const at = members.findIndex((m, i) => i % 2 === 0 && m.includes(id));
      return at < 0 ? undefined : members[at + 1];
    }

    it.each([
      [["procesar_tickets_vencidos", "--at", "2030-01-02 03:04"], "--at"],
      [
        ["procesar_tickets_vencidos", "--at", "2030-02-30T00:00:00Z"],
        "not a real calendar date",
      ],
      [
        ["procesar_tickets_vencidos", "--at", "9999-12-31T23:59:59Z"],
        "more than 10 years ahead",
      ],
      [["procesar_tickets_vencidos", "--in", "soon"], "--in"],
      [
        [
          "procesar_tickets_vencidos",
          "--in",
          "1m",
          "--at",
          "2030-01-02T03:04:05Z",
        ],
        "at",
      ],
      [["generar_reporte", "--json", "{}"], "not both"],
      [["--json", "{nope"], "not valid JSON"],
      [[], "say what to queue"],
      [["--file"], "file"],
      [["--file", "/nonexistent/x.ndjson"], "cannot read"],
      [["procesar_tickets_vencidos", "--timeout", "5s"], "only with --wait"],
    ])("exits 2 for %j naming %s", async (args, text) => {
      const result = await cli(["enqueue", ...args]);

      expect(result.code).toBe(2);
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toContain(text);
      expect(await pending()).toEqual([]);
    });
  });

  describe("enqueue --wait", () => {
    it("exits 0 with the record once a running worker processed it", async () => {
      ctx.start(["work", "--no-task-log"]);

      const result = await cli([
        "enqueue",
        "generar_reporte",
        "--fecha",
        "2024-01-15",
        "--wait",
        "--timeout",
        "30",
      ]);

      expect(result).toMatchObject({ code: 0, stderr: "" });
      const record = JSON.parse(result.stdout);
      expect(record).toMatchObject({
        tipo: "generar_reporte",
        resultado: { fecha: "2024-01-15" },
      });
      expect(record.id).toMatch(UUID);
    });

    it("exits 1 with the record when the task fails", async () => {
      ctx.start(["work", "--no-task-log"]);

      const result = await cli([
        "enqueue",
        "notificar_ticket_creado",
        "--ticket-id",
        UNKNOWN_TICKET,
        "--wait",
        "--timeout",
        "30",
      ]);

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        tipo: "notificar_ticket_creado",
        error: { clase: "permanente" },
      });
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toMatch(/failed: .*does not exist/);
    });

    it("exits 124 when no outcome arrives in time", async () => {
      const result = await cli([
        "enqueue",
        "procesar_tickets_vencidos",
        "--wait",
        "--timeout",
        "1",
      ]);

      expect(result.code).toBe(124);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/no outcome after 1 s/);
      expect(await pending()).toHaveLength(1);
    });

    it("refuses to wait for several tasks", async () => {
      const input = '{"tipo":"procesar_tickets_vencidos"}\n'.repeat(2);

      const result = await cli(["enqueue", "--file", "-", "--wait"], input);

      expect(result.code).toBe(2);
      expect(await pending()).toEqual([]);
    });
  });

  describe("retry", () => {
    it("two retry --all started at the same moment move each of 1,000 tasks once", async () => {
      const ids = await seedFailures(
        ...Array.from({ length: 1000 }, () => ({
          tipo: "procesar_tickets_vencidos",
        })),
      );

      const [a, b] = await Promise.all([
        cli(["retry", "--all", "--json"]),
        cli(["retry", "--all", "--json"]),
      ]);

      expect([a.code, b.code]).toEqual([0, 0]);
      const moved = [a, b].map((r) => JSON.parse(r.stdout).moved as number);
      expect(moved[0]! + moved[1]!).toBe(1000);
      const queued = (await pending()).map((task) => task.id as string);
      expect(queued).toHaveLength(1000);
      expect(new Set(queued)).toEqual(new Set(ids));
      expect(await failedIds()).toEqual([]);
    });

    it("moves one failure back by --id and prints how many moved", async () => {
      const [id, other] = await seedFailures(
        { tipo: "procesar_tickets_vencidos", intentos: 2 },
        { tipo: "procesar_tickets_vencidos" },
      );

      const result = await cli(["retry", "--id", id!]);

      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(result.stdout).toBe("moved 1 failed task back to procesar\n");
      expect(await pending()).toEqual([
        { tipo: "procesar_tickets_vencidos", id },
      ]);
      expect(await failedIds()).toEqual([other]);
    });

    it("takes the short ids ls prints, and refuses one that starts several", async () => {
      const [id, other] = await seedFailures(
        { tipo: "procesar_tickets_vencidos" },
        { tipo: "procesar_tickets_vencidos" },
      );
      const twins = ["1", "2"].map(
        (n) => `abcd1234-0000-4000-8000-00000000000${n}`,
      );
      for (const twin of [...twins, "order-10"]) {
        const record = {
          id: twin,
          tipo: "x",
          intentos: 1,
          tarea: { id: twin },
        };
        await command("RPUSH", keys().failed, JSON.stringify(record));
      }

      const retried = await cli(["retry", "--id", id!.slice(0, 8)]);
      const deleted = await cli(["delete", other!.slice(0, 8)]);
      const ambiguous = await cli(["retry", "--id", "abcd1234"]);
      // Only a UUID is shown cut short: a custom id is never a prefix.
      const custom = await cli(["delete", "order-1"]);

      expect(retried.stdout).toBe("moved 1 failed task back to procesar\n");
      expect((await pending()).map((task) => task.id)).toEqual([id]);
      expect(deleted.stdout).toBe("deleted 1 entry (fallidas: 1)\n");
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toBe(
        `batchctl: id abcd1234 starts 2 ids (${twins.join(", ")}); give more characters\n`,
      );
      expect(custom.code).toBe(1);
      expect((await failedIds()).sort()).toEqual([...twins, "order-10"]);
    });

    it("retries a tipo up to --limit, and --all --dry-run changes nothing", async () => {
      const seeded = await seedFailures(
        { tipo: "generar_reporte", fecha: "2024-01-15" },
        { tipo: "generar_reporte", fecha: "2024-01-16" },
        { tipo: "procesar_tickets_vencidos" },
        "not json",
      );

      const named = await cli(["retry", "--id", seeded[3]!]);
      expect(named.code).toBe(1);
      expect(named.stderr).toBe("batchctl: 1 task named by --id not moved\n");
      const dry = await cli(["retry", "--all", "--dry-run", "--json"]);
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toEqual({
        moved: 3,
        dry_run: true,
        skipped: { not_json: 1 },
        not_found: [],
      });
      expect(await pending()).toEqual([]);

      const limited = await cli([
        "retry",
        "--tipo",
        "generar_reporte",
        "--limit",
        "1",
        "--json",
      ]);
      expect(JSON.parse(limited.stdout)).toMatchObject({ moved: 1 });
      expect(await pending()).toEqual([
        expect.objectContaining({ fecha: "2024-01-15" }),
      ]);

      const all = await cli(["retry", "--all"]);
      expect(all.stdout).toContain("moved 2 failed tasks back to procesar");
      expect(all.stdout).toContain("skipped 1: the task was not valid JSON");
      expect(await failedIds()).toHaveLength(1);

      const forced = await cli(["retry", "--all", "--force", "--json"]);
      expect(JSON.parse(forced.stdout)).toMatchObject({ moved: 1 });
      expect(await readList(ctx.queue, keys().pending)).toContain("not json");
    });

    it("exits 1 naming ids that are not in fallidas", async () => {
      const result = await cli(["retry", "--id", "missing-1", "--json"]);

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        moved: 0,
        not_found: ["missing-1"],
      });
      expect(stderrLines(result)).toEqual([
        "batchctl: not in fallidas: missing-1",
      ]);
    });

    it.each([[[]], [["--all", "--limit", "0"]]])(
      "exits 2 for %j",
      async (args) => {
        const result = await cli(["retry", ...args]);

        expect(result.code).toBe(2);
        expect(stderrLines(result)).toHaveLength(1);
      },
    );

    it("exits 3 when Redis cannot be reached", async () => {
      const unreachable =
        kind === "tcp"
          ? { REDIS_URL: "redis://127.0.0.1:1" }
          : { REDIS_REST_URL: "http://127.0.0.1:1" };
      const result = await runCli(["retry", "--all"], ctx.env(unreachable));

      expect(result.code).toBe(3);
      expect(stderrLines(result)).toHaveLength(1);
    });
  });

  describe("--group", () => {
    /** Failure records with error messages; group 1 is the biggest. */
    async function seedGroups() {
      const big = await seedFailures(
        { tipo: "procesar_tickets_vencidos" },
        { tipo: "procesar_tickets_vencidos" },
      );
      const small = await seedFailures({
        tipo: "generar_reporte",
        fecha: "2024-01-15",
      });
      const [smallId] = small;
      const raw = await command<string>("LINDEX", keys().failed, 0);
      const edited = {
        ...JSON.parse(raw),
        error: { mensaje: "other", clase: "permanente" },
      };
      await command("LSET", keys().failed, 0, JSON.stringify(edited));
      return { big, smallId: smallId! };
    }

    it("retries one whole group as ls fallidas --group numbers it", async () => {
      const { big, smallId } = await seedGroups();

      const result = await cli(["retry", "--group", "1", "--json"]);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ moved: 2 });
      expect((await pending()).map((t) => t.id).sort()).toEqual(
        [...big].sort(),
      );
      expect(await failedIds()).toEqual([smallId]);
      const [audit] = jsonOf(await cli(["audit", "--json"]));
      expect(audit).toMatchObject({
        command: "retry",
        count: 2,
        detail: "--group 1",
      });
    });

    it("deletes one whole group, and exits 1 for a group that is not there", async () => {
      const { big } = await seedGroups();

      const result = await cli(["delete", "--group", "2"]);
      const missing = await cli(["delete", "--group", "7"]);

      expect(result).toMatchObject({
        code: 0,
        stdout: "deleted 1 entry (fallidas: 1)\n",
      });
      expect((await failedIds()).sort()).toEqual([...big].sort());
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("no failure group 7");
    });

    it.each([
      [["retry", "--group", "1", "--id", "x"]],
      [["delete", "x", "--group", "1"]],
      [["delete", "--group", "1", "--from", "procesar"]],
      [["delete"]],
      [["retry", "--group", "0"]],
    ])("exits 2 for %j", async (args) => {
      await seedGroups();

      const result = await cli(args);

      expect(result.code).toBe(2);
      expect(await failedIds()).toHaveLength(3);
    });
  });

  describe("delete and purge", () => {
    it("deletes by id from every list, or only --from, exit 1 for the missing", async () => {
      const [failedId, keptId] = await seedFailures(
        { tipo: "procesar_tickets_vencidos" },
        { tipo: "procesar_tickets_vencidos" },
      );
      const queued = (
        await cli(["enqueue", "procesar_tickets_vencidos"])
      ).stdout.trim();

      const wrongList = await cli(["delete", failedId!, "--from", "procesar"]);
      expect(wrongList.code).toBe(1);
      expect(wrongList.stderr).toContain(`not found in procesar: ${failedId}`);

      const result = await cli(["delete", failedId!, queued, "--json"]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        deleted: 2,
        lists: { procesar: 1, fallidas: 1 },
        not_found: [],
      });
      expect(await failedIds()).toEqual([keptId]);
      expect(await pending()).toEqual([]);
    });

    it("refuses in-flight lists", async () => {
      const result = await cli(["delete", "x", "--from", "procesando"]);

      expect(result.code).toBe(2);
    });

    it("purges only with --yes when there is more than one entry", async () => {
      await seedFailures(
        { tipo: "procesar_tickets_vencidos" },
        { tipo: "procesar_tickets_vencidos" },
      );

      const refused = await cli(["purge", "fallidas"]);
      expect(refused.code).toBe(2);
      expect(stderrLines(refused)).toEqual([
        "batchctl: purge fallidas would remove 2 entries; add --yes to confirm",
      ]);
      expect(await failedIds()).toHaveLength(2);

      const done = await cli(["purge", "fallidas", "--yes"]);
      expect(done).toMatchObject({
        code: 0,
        stdout: "removed 2 entries from fallidas\n",
      });
      expect(await failedIds()).toEqual([]);

      const again = await cli(["purge", "fallidas", "--json"]);
      expect(JSON.parse(again.stdout)).toEqual({
        list: "fallidas",
        removed: 0,
      });
    });

    it("refuses to purge an in-flight list", async () => {
      const result = await cli(["purge", "procesando", "--yes"]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("in-flight");
    });
  });

  describe("purge-cache", () => {
    const cacheKey = (n: number) => `e2e-cache:${ctx.queue.keys.prefix}:${n}`;

    it("queues a limpiar_cache task and prints its id", async () => {
      const result = await cli(["purge-cache", cacheKey(1), cacheKey(2)]);

      expect(result.code).toBe(0);
      const id = result.stdout.trim();
      expect(id).toMatch(UUID);
      expect(await pending()).toEqual([
        expect.objectContaining({
          id,
          tipo: "limpiar_cache",
          claves: [cacheKey(1), cacheKey(2)],
        }),
      ]);
    });

    it("deletes now with --now and says how many existed", async () => {
      await command("SET", cacheKey(1), "x");

      const result = await cli([
        "purge-cache",
        cacheKey(1),
        cacheKey(2),
        "--now",
      ]);
      const json = await cli(["purge-cache", cacheKey(1), "--now", "--json"]);
      await command("SET", cacheKey(1), "x");
      const twice = await cli([
        "purge-cache",
        cacheKey(1),
        cacheKey(1),
        "--now",
      ]);

      expect(result).toMatchObject({
        code: 0,
        stdout: "deleted 1 of 2 keys; 1 did not exist\n",
      });
      expect(JSON.parse(json.stdout)).toEqual({ claves: 1, borradas: 0 });
      expect(twice.stdout).toBe("deleted 1 of 1 key\n");
      expect(await command("EXISTS", cacheKey(1))).toBe(0);
    });

    it("exits 2 for a key of the queue itself", async () => {
      await command("RPUSH", keys().pending, "keep me");

      const result = await cli(["purge-cache", keys().pending, "--now"]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("is a key of the queue itself");
      expect(await readList(ctx.queue, keys().pending)).toEqual(["keep me"]);
    });
  });

  describe("pause and resume", () => {
    it("stops a running worker from fetching until resumed, and it says so", async () => {
      const worker = ctx.start(["work", "--no-task-log"]);
      const logged = (text: string) =>
        worker.lines.filter((line) => line.includes(text)).length;
      await waitFor(
        async () =>
          (await command<string[]>("SMEMBERS", keys().workers)).length > 0,
        15_000,
        "worker registered",
      );

      const paused = await cli(["pause"]);
      expect(paused.code).toBe(0);
      expect(paused.stdout).toContain("until batchctl resume");
      const id = (
        await cli(["enqueue", "procesar_tickets_vencidos"])
      ).stdout.trim();
      // Longer than the worker's blocking fetch (1 s) and paused poll (1 s).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await locate(ctx, [id])).get(id)).toEqual(["procesar"]);
      expect(logged("queue paused")).toBe(1);

      const resumed = await cli(["resume", "--json"]);
      expect(JSON.parse(resumed.stdout)).toEqual({ was_paused: true });
      await waitFor(
        async () => (await locate(ctx, [id])).get(id)?.[0] === "procesadas",
        15_000,
        "task processed after resume",
      );
      expect(logged("queue resumed")).toBe(1);
      const notPaused = await cli(["resume"]);
      expect(notPaused.stdout).toContain("was not paused");
    });

    it("ends a pause given --for by itself", async () => {
      ctx.start(["work", "--no-task-log"]);

      const paused = await cli(["pause", "--for", "10s", "--json"]);
      const id = (
        await cli(["enqueue", "procesar_tickets_vencidos"])
      ).stdout.trim();

      expect(JSON.parse(paused.stdout)).toMatchObject({
        paused: true,
        remaining_ms: 10_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await locate(ctx, [id])).get(id)).toEqual(["procesar"]);
      await waitFor(
        async () => (await locate(ctx, [id])).get(id)?.[0] === "procesadas",
        20_000,
        "task processed after the pause expired",
      );
      expect(await command("EXISTS", keys().pause)).toBe(0);
    });

    it("exits 2 for a bad --for", async () => {
      const result = await cli(["pause", "--for", "later"]);

      expect(result.code).toBe(2);
      expect(await command("EXISTS", keys().pause)).toBe(0);
    });
  });

  describe("audit", () => {
    it("lists the actions newest first, as a table or JSON lines", async () => {
      await cli(["pause"]);
      await cli(["resume"]);

      const json = await cli(["audit", "--json"]);
      const table = await cli(["audit", "--limit", "1"]);

      expect(json.code).toBe(0);
      const entries = jsonOf(json);
      expect(entries.map((e) => [e.command, e.count])).toEqual([
        ["resume", 1],
        ["pause", 1],
      ]);
      expect(entries[0]).toMatchObject({ origin: "cli" });
      expect(Date.parse(entries[0]!.when)).not.toBeNaN();
      const lines = table.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^WHEN\s+WHO\s+COMMAND\s+COUNT\s+DETAIL$/);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain("resume");
    });

    it("says when nothing was recorded", async () => {
      const result = await cli(["audit"]);

      expect(result).toMatchObject({
        code: 0,
        stdout: "no operator actions recorded\n",
      });
    });
  });

  it.each([
    "enqueue",
    "retry",
    "delete",
    "purge",
    "purge-cache",
    "pause",
    "resume",
    "audit",
  ])("%s --help lists its options with an example", async (name) => {
    const result = await cli([name, "--help"]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Options:");
    expect(result.stdout).toContain("Examples:");
  });
});

/** Parses the NDJSON stdout of a run. */
function jsonOf(result: CliResult): Record<string, any>[] {
  return result.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
