/**
 * `batchctl` as scripts and people use it: enqueue then work, what lands on
 * stdout and stderr, exit codes, configuration errors, help, db setup and
 * the embedded database.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli.js";
import {
  exitWithin,
  jsonLines,
  openE2e,
  type E2eContext,
} from "../helpers/e2e.js";
import {
  catalogFingerprint,
  dataFingerprint,
  dropDatabase,
  testDatabaseName,
  testUrl,
  TEST_BATCH_ROLE,
  withClient,
} from "../helpers/pg.js";
import { readList, readRecords, waitFor } from "../helpers/redis.js";
import { pushRaw } from "../helpers/worker.js";

const UUID_LINE =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;
const PASSWORD = "Sup3rSecretPw";

/** stderr split into lines, without the final newline. */
const stderrLines = (result: CliResult) =>
  result.stderr.replace(/\n$/, "").split("\n");

describe("batchctl cli", () => {
  let ctx: E2eContext;

  beforeAll(async () => {
    ctx = await openE2e("cli_roundtrip");
  });
  afterEach(() => ctx.cleanup());
  afterAll(() => ctx?.close());

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(args, ctx.env(extra));
  const pendingCount = () =>
    ctx.queue.transport.command("LLEN", ctx.queue.keys.pending);

  describe("enqueue then work", () => {
    it("prints only the new id, which work --drain records with the report", async () => {
      await ctx.backend.admin.query(
        `INSERT INTO tickets.tickets (titulo, creado_en) VALUES
           ('e2e a', '2024-01-15T08:00:00Z'), ('e2e b', '2024-01-15T20:00:00Z'),
           ('e2e c', '2024-01-16T08:00:00Z')`,
      );
      const enqueued = await cli([
        "enqueue",
        "generar_reporte",
        "--fecha",
        "2024-01-15",
      ]);

      expect(enqueued).toMatchObject({ code: 0, stderr: "" });
      expect(enqueued.stdout).toMatch(UUID_LINE);
      const id = enqueued.stdout.trim();
      const [queued] = await readList(ctx.queue, ctx.queue.keys.pending);
      expect(JSON.parse(queued!)).toMatchObject({
        id,
        tipo: "generar_reporte",
      });

      const worked = await cli(["work", "--drain"]);

      expect({ code: worked.code, stderr: worked.stderr }).toEqual({
        code: 0,
        stderr: "",
      });
      const records = await readRecords(ctx.queue, ctx.queue.keys.processed);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        id,
        tipo: "generar_reporte",
        intentos: 1,
        tarea: { tipo: "generar_reporte", fecha: "2024-01-15", id },
        resultado: { fecha: "2024-01-15", creados: 2, cerrados: 0 },
      });
      expect(await pendingCount()).toBe(0);
    });

    it("runs a scheduled task that is due before --drain ends, and leaves a later one", async () => {
      const due = (
        await cli(["enqueue", "procesar_tickets_vencidos", "--in", "1s"])
      ).stdout.trim();
      const later = (
        await cli(["enqueue", "procesar_tickets_vencidos", "--in", "1h"])
      ).stdout.trim();
      await waitFor(
        async () =>
          Number(
            await ctx.queue.transport.command(
              "ZCOUNT",
              ctx.queue.keys.scheduled,
              "-inf",
              Date.now(),
            ),
          ) === 1,
        10_000,
        "the first task due",
      );

      const worked = await cli(["work", "--drain"]);

      expect(worked.code).toBe(0);
      const records = await readRecords(ctx.queue, ctx.queue.keys.processed);
      expect(records.map((r) => r.id)).toEqual([due]);
      expect(
        await ctx.queue.transport.command(
          "ZRANGE",
          ctx.queue.keys.scheduled,
          0,
          -1,
        ),
      ).toEqual([expect.stringContaining(later)]);
    });

    it("logs one JSON line per finished task with id, tipo, intentos, duracion_ms", async () => {
      const ok = (
        await cli(["enqueue", "generar_reporte", "--fecha", "2024-01-16"])
      ).stdout.trim();
      await pushRaw(
        ctx.queue,
        '{"tipo":"generar_reporte","fecha":"2024-02-30","id":"bad-1"}',
      );

      const worked = await cli(["work", "--drain", "--concurrency", "1"]);

      expect(worked.code).toBe(0);
      const logs = jsonLines(worked.stdout.split("\n"));
      const perTask = logs.filter((line) => line.id !== undefined);
      expect(perTask.map((line) => line.id).sort()).toEqual(
        ["bad-1", ok].sort(),
      );
      for (const line of perTask) {
        expect(line).toMatchObject({ tipo: "generar_reporte", intentos: 1 });
        expect(typeof line.duracion_ms).toBe("number");
        expect(typeof line.msg).toBe("string");
      }
      expect(
        perTask.find((line) => line.id === "bad-1")?.level,
      ).toBeGreaterThan(perTask.find((line) => line.id === ok)?.level);
    });
  });

  describe("enqueue refuses bad input", () => {
    it.each([
      [
        "an impossible date",
        ["generar_reporte", "--fecha", "2024-02-30"],
        "fecha",
      ],
      [
        "a malformed date",
        ["generar_reporte", "--fecha", "15/01/2024"],
        "fecha",
      ],
      ["a missing field", ["generar_reporte"], "fecha"],
      [
        "a bad ticket id",
        ["notificar_ticket_creado", "--ticket-id", "42"],
        "ticket_id",
      ],
      ["an unknown tipo", ["borrar_todo"], "tipo"],
      [
        "a cache key of the queue itself",
        ["limpiar_cache", "--claves", "x", "<prefix>:procesar"],
        "claves.1: is a key of the queue itself",
      ],
    ])(
      "exits 2 on %s, names the field in one line, pushes nothing",
      async (_, args, field) => {
        const prefix = ctx.queue.keys.prefix;
        const result = await cli([
          "enqueue",
          ...args.map((arg) => arg.replace("<prefix>", prefix)),
        ]);

        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(stderrLines(result)).toHaveLength(1);
        expect(result.stderr).toContain(field);
        expect(await pendingCount()).toBe(0);
      },
    );
  });

  describe("connection and configuration errors", () => {
    it("exits 3 with one line when Redis is unreachable", async () => {
      const result = await cli(
        ["enqueue", "generar_reporte", "--fecha", "2024-01-15"],
        {
          REDIS_URL: "redis://127.0.0.1:1",
        },
      );

      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toMatch(/Redis/);
    });

    it.each([
      [
        "REDIS_URL",
        "http://x",
        ["enqueue", "generar_reporte", "--fecha", "2024-01-15"],
      ],
      ["REDIS_URL", "http://x", ["work", "--drain"]],
      ["DATABASE_URL_BATCH", "mysql://x", ["work", "--drain"]],
      [
        "BATCH_QUEUE_PREFIX",
        "cola *",
        ["enqueue", "generar_reporte", "--fecha", "2024-01-15"],
      ],
    ])("exits 2 naming %s=%s (%j)", async (variable, value, args) => {
      const result = await cli(args, { [variable]: value });

      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toContain(variable);
      expect(await pendingCount()).toBe(0);
    });

    it("refuses to work without DATABASE_URL_BATCH when NODE_ENV=production", async () => {
      const result = await cli(["work", "--drain"], {
        NODE_ENV: "production",
        DATABASE_URL_BATCH: undefined,
      });

      expect(result.code).toBe(2);
      expect(stderrLines(result)).toHaveLength(1);
      expect(result.stderr).toContain("DATABASE_URL_BATCH");
      expect(
        await ctx.queue.transport.command("SCARD", ctx.queue.keys.workers),
      ).toBe(0);
    });

    it("never prints the database password of a failing work run", async () => {
      await cli(["enqueue", "generar_reporte", "--fecha", "2024-01-15"]);
      const url = `postgresql://u:${PASSWORD}@127.0.0.1:1/x`;
      // The start-up check refuses the unreachable database (exit 3).
      const worker = ctx.start(["work", "--debug", "--log-level", "debug"], {
        DATABASE_URL_BATCH: url,
      });
      const stopped = await exitWithin(worker, 10_000);
      expect(stopped?.code).toBe(3);
      const invalid = await cli(["work", "--debug"], {
        DATABASE_URL_BATCH: url,
        REDIS_URL: "http://x",
      });

      const output = [
        worker.lines.join("\n"),
        worker.stderr(),
        invalid.stdout,
        invalid.stderr,
      ];
      expect(output.join("\n")).not.toContain(PASSWORD);
      expect(worker.stderr()).toContain("u@127.0.0.1:1/x");
      expect(invalid.code).toBe(2);
    });
  });

  describe("help", () => {
    it.each([
      [
        [],
        ["work", "enqueue", "db", "--redis-url", "--database-url", "--prefix"],
      ],
      [
        ["work"],
        ["--concurrency", "--drain", "--shutdown-timeout", "--heartbeat-ttl"],
      ],
      [["enqueue"], ["--fecha", "--ticket-id", "--claves", "generar_reporte"]],
    ])(
      "batchctl %j --help exits 0 and lists its options",
      async (command, expected) => {
        const result = await cli([...command, "--help"]);

        expect(result.code).toBe(0);
        expect(result.stderr).toBe("");
        for (const word of expected) expect(result.stdout).toContain(word);
      },
    );
  });

  describe("db setup", () => {
    const database = testDatabaseName("e2e_cli_setup");
    afterAll(() => dropDatabase(database));

    it("reports the same tickets twice and changes nothing the second time", async () => {
      await dropDatabase(database);
      const adminUrl = testUrl(database);
      const setup = () =>
        cli(["db", "setup", "--demo", "--json", "--role", TEST_BATCH_ROLE], {
          DATABASE_URL_ADMIN: adminUrl,
          DATABASE_URL_BATCH: undefined,
        });
      const snapshot = () =>
        withClient(adminUrl, async (client) => ({
          catalog: await catalogFingerprint(client, TEST_BATCH_ROLE),
          data: await dataFingerprint(client),
        }));

      const first = await setup();
      const before = await snapshot();
      const second = await setup();

      expect({ code: first.code, stderr: first.stderr }).toEqual({
        code: 0,
        stderr: "",
      });
      expect({ code: second.code, stderr: second.stderr }).toEqual({
        code: 0,
        stderr: "",
      });
      const [one, two] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
      expect(one).toMatchObject({
        created_database: true,
        role: TEST_BATCH_ROLE,
      });
      expect(one.demo_tickets_added).toBeGreaterThan(0);
      expect(one.tickets_total).toBe(one.demo_tickets_added);
      expect(two).toMatchObject({
        created_database: false,
        demo_tickets_added: 0,
      });
      expect(two.tickets_total).toBe(one.tickets_total);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("embedded database", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "batchctl-e2e-pglite-"));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it("works on PGlite without DATABASE_URL_BATCH and warns once", async () => {
      const env = { BATCH_PGLITE_DIR: dir, DATABASE_URL_BATCH: undefined };
      const setup = await cli(["db", "setup", "--demo", "--json"], env);
      expect(setup.code).toBe(0);
      const id = (
        await cli(["enqueue", "generar_reporte", "--fecha", "2024-01-15"], env)
      ).stdout;

      const worked = await cli(["work", "--drain"], env);

      expect({ code: worked.code, stderr: worked.stderr }).toEqual({
        code: 0,
        stderr: "",
      });
      const warnings = jsonLines(worked.stdout.split("\n")).filter(
        (line) => line.level >= 40,
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toMatch(/DATABASE_URL_BATCH/);
      expect(warnings[0]?.msg).toMatch(/PGlite/);
      expect(warnings[0]?.msg).toContain(dir);
      const records = await readRecords(ctx.queue, ctx.queue.keys.processed);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        id: id.trim(),
        resultado: { fecha: "2024-01-15" },
      });
      expect(records[0]?.resultado.creados).toBeGreaterThanOrEqual(0);
    });
  });
});
