/**
 * The read commands as scripts and people run them: ls, show, stats,
 * check, doctor, completion, with their options, output and exit codes,
 * against real Redis and PostgreSQL and tasks run by a real worker.
 */
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createWorkerQueue } from "../../src/queue/index.js";
import { CLI, runCli, type CliResult } from "../helpers/cli.js";
import {
  exitWithin,
  jsonLines,
  openE2e,
  type E2eContext,
} from "../helpers/e2e.js";
import { TRANSPORTS, type TransportKind } from "../helpers/redis.js";
import { pushRaw } from "../helpers/worker.js";

const MINUTE = 60_000;

/** Environment that points the CLI at a Redis nobody answers for. */
function unreachableRedis(kind: TransportKind): NodeJS.ProcessEnv {
  return kind === "tcp"
    ? { REDIS_URL: "redis://127.0.0.1:1" }
    : { REDIS_REST_URL: "http://127.0.0.1:1", REDIS_REST_TOKEN: "x" };
}

/** NDJSON stdout as objects. */
const ndjson = (result: CliResult) => jsonLines(result.stdout.split("\n"));

describe.each(TRANSPORTS)("batchctl read commands over %s", (kind) => {
  let ctx: E2eContext;
  let binDir: string;

  beforeAll(async () => {
    ctx = await openE2e(`cli_read_${kind}`, kind);
    // A `batchctl` on PATH, so the script round trip reads as documented.
    binDir = await mkdtemp(join(tmpdir(), "batchctl-bin-"));
    const shim = join(binDir, "batchctl");
    await writeFile(
      shim,
      `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`,
    );
    await chmod(shim, 0o755);
  });
  afterEach(() => ctx.cleanup());
  afterAll(async () => {
    await rm(binDir, { recursive: true, force: true });
    await ctx?.close();
  });

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(args, ctx.env(extra));
  const enqueue = async (...args: string[]) => {
    const result = await cli(["enqueue", ...args]);
    expect(result.code).toBe(0);
    return result.stdout.trim();
  };
  const work = async () => {
    const result = await cli(["work", "--drain", "--no-task-log"]);
    expect(result.code).toBe(0);
  };
  const prefix = () => ctx.queue.keys.prefix;

  /** Two reports done, one failed report, one unreadable task failed. */
  async function finishSome() {
    const done = [
      await enqueue("generar_reporte", "--fecha", "2024-01-15"),
      await enqueue("generar_reporte", "--fecha", "2024-01-16"),
    ];
    const failed = "aaaa0000-0000-4000-8000-000000000001";
    await pushRaw(
      ctx.queue,
      JSON.stringify({
        id: failed,
        tipo: "generar_reporte",
        fecha: "2024-02-30",
      }),
      "not json",
    );
    await work();
    return { done, failed };
  }

  it("round-trips a script: enqueue, work --drain, show --json yields the report", async () => {
    const script =
      'id=$(batchctl enqueue generar_reporte --fecha 2024-01-15) && batchctl work --drain --no-task-log >/dev/null && batchctl show "$id" --json';
    const child = spawn("bash", ["-c", script], {
      env: { ...ctx.env(), PATH: `${binDir}:${process.env.PATH}` },
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));

    expect(code).toBe(0);
    const shown = JSON.parse(stdout);
    expect(shown.places).toHaveLength(1);
    expect(shown.places[0]).toMatchObject({
      list: "procesadas",
      position: 0,
      entry: {
        id: shown.id,
        tipo: "generar_reporte",
        resultado: { fecha: "2024-01-15" },
      },
    });
  });

  describe("ls", () => {
    it("prints an aligned table of a window with a footer that says where it is", async () => {
      for (const fecha of [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
      ]) {
        await enqueue("generar_reporte", "--fecha", fecha);
      }
      await pushRaw(ctx.queue, "not json");

      const page = await cli([
        "ls",
        "procesar",
        "--limit",
        "2",
        "--offset",
        "1",
      ]);
      const last = await cli(["ls", "procesar", "--offset", "3"]);

      expect(page).toMatchObject({ code: 0, stderr: "" });
      const lines = page.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^#\s+ID\s+TIPO\s+QUEUED\s+TRIES\s+FIELDS$/);
      expect(lines[1]).toMatch(
        /^2\s+[0-9a-f]{8}\s+generar_reporte\s+(now|\d+s ago)\s+0\s+\{"fecha":"2024-01-02"\}$/,
      );
      expect(lines[2]).toMatch(/^3\s+[0-9a-f]{8}\s+generar_reporte/);
      expect(lines[1]!.indexOf("generar_reporte")).toBe(
        lines[0]!.indexOf("TIPO"),
      );
      expect(lines[3]).toBe(
        `2-3 of 5 in ${prefix()}:procesar; next page: --offset 3`,
      );
      expect(last.stdout).toContain("(not JSON) not json");
      expect(last.stdout).toContain(`4-5 of 5 in ${prefix()}:procesar\n`);
    });

    it("shows failures with class and error, and records with duration", async () => {
      const { failed } = await finishSome();

      const failures = await cli(["ls", "fallidas"]);
      const done = await cli(["ls", "procesadas"]);

      expect(failures.code).toBe(0);
      expect(failures.stdout).toMatch(/CLASS\s+ERROR/);
      expect(failures.stdout).toMatch(
        new RegExp(
          `${failed.slice(0, 8)}\\s+generar_reporte\\s+.*\\s+1\\s+validacion\\s+fecha: is not a real calendar date`,
        ),
      );
      expect(failures.stdout).toMatch(/validacion\s+task: is not valid JSON/);
      expect(done.stdout).toMatch(/FINISHED\s+TRIES\s+TOOK\s+WORKER/);
      expect(done.stdout).toContain(`1-2 of 2 in ${prefix()}:procesadas`);
    });

    it("prints NDJSON with --json, filtered by --tipo", async () => {
      const { failed } = await finishSome();

      const all = await cli(["ls", "fallidas", "--json"]);
      const reports = await cli([
        "ls",
        "fallidas",
        "--json",
        "--tipo",
        "generar_reporte",
      ]);
      const invalid = await cli([
        "ls",
        "fallidas",
        "--json",
        "--tipo",
        "invalida",
      ]);

      expect(all.code).toBe(0);
      expect(ndjson(all).map((line) => line.list)).toEqual([
        "fallidas",
        "fallidas",
      ]);
      expect(ndjson(reports)).toEqual([
        expect.objectContaining({
          id: failed,
          tipo: "generar_reporte",
          position: 1,
          entry: expect.objectContaining({
            error: expect.objectContaining({ clase: "validacion" }),
          }),
        }),
      ]);
      expect(ndjson(invalid)).toEqual([
        expect.objectContaining({ tipo: null, position: 0 }),
      ]);
    });

    it("shows due times of the zsets and the worker of in-flight tasks", async () => {
      const task = JSON.stringify({
        id: "sched-1",
        tipo: "procesar_tickets_vencidos",
      });
      await ctx.queue.transport.command(
        "ZADD",
        ctx.queue.keys.scheduled,
        Date.now() + 5 * MINUTE,
        task,
      );
      await ctx.queue.transport.command(
        "ZADD",
        ctx.queue.keys.retries,
        Date.now() + MINUTE,
        task,
      );
      await pushRaw(
        ctx.queue,
        JSON.stringify({ id: "fly-1", tipo: "procesar_tickets_vencidos" }),
      );
      // As a worker does: register (heartbeat), then claim.
      const worker = createWorkerQueue({ ...ctx.queue, worker: "w-e2e" });
      await worker.heartbeat(
        {
          id: "w-e2e",
          host: "test",
          pid: 1,
          started_at: new Date().toISOString(),
          concurrency: 1,
          in_flight: 1,
          processed: 0,
          failed: 0,
          transport: "tcp test",
          version: "test",
          requests: 0,
          requests_per_min: 0,
        },
        MINUTE,
      );
      await worker.claim(1);

      const scheduled = await cli(["ls", "programadas"]);
      const retries = await cli(["ls", "reintentos", "--json"]);
      const inFlight = await cli(["ls", "procesando"]);

      expect(scheduled.stdout).toMatch(/#\s+ID\s+TIPO\s+DUE/);
      expect(scheduled.stdout).toMatch(
        /sched-1\s+procesar_tickets_vencidos\s+in 4m 5\ds/,
      );
      expect(ndjson(retries)[0]).toMatchObject({
        list: "reintentos",
        id: "sched-1",
      });
      expect(Date.parse(ndjson(retries)[0]!.due_at)).toBeGreaterThan(
        Date.now(),
      );
      expect(inFlight.stdout).toMatch(
        /fly-1\s+procesar_tickets_vencidos\s+w-e2e/,
      );
    });

    it("groups failures with --group, as a table or NDJSON", async () => {
      await pushRaw(
        ctx.queue,
        ...["2024-02-30", "2023-02-29", "2024-1-01"].map((fecha, i) =>
          JSON.stringify({ id: `bad-${i}`, tipo: "generar_reporte", fecha }),
        ),
        '{"tipo":"bogus"}',
      );
      await work();

      const table = await cli(["ls", "fallidas", "--group"]);
      const json = await cli(["ls", "fallidas", "--group", "--json"]);

      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(
        /^GROUP\s+COUNT\s+TIPO\s+CLASS\s+FIRST\s+LAST\s+SAMPLE\s+MESSAGE$/,
      );
      expect(lines[1]).toMatch(
        /^\s+1\s+2\s+generar_reporte\s+validacion\s+.*\s+bad-\d\s+fecha: is not a real calendar date$/,
      );
      expect(lines.at(-1)).toBe(
        "3 groups of 4 failures; batchctl show <sample> for one",
      );
      const groups = ndjson(json);
      expect(groups.map((g) => [g.n, g.count])).toEqual([
        [1, 2],
        [2, 1],
        [3, 1],
      ]);
      expect(groups[0]!.ids.sort()).toEqual(["bad-0", "bad-1"]);
    });

    it("warns on stderr when the --tipo scan stops at its cap", async () => {
      const lua = `for i = 1, 100500 do redis.call('RPUSH', KEYS[1], '{"tipo":"limpiar_cache"}') end return 1`;
      await ctx.queue.transport.command("EVAL", lua, 1, ctx.queue.keys.pending);

      const result = await cli(["ls", "procesar", "--tipo", "generar_reporte"]);

      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        "batchctl: --tipo scanned the first 100,000 of 100,500 entries only; later matches are not shown\n",
      );
      expect(result.stdout).toBe(
        `${prefix()}:procesar has no generar_reporte entries\n`,
      );
    });

    it.each([
      [["ls", "nope"], /Invalid values/],
      [
        ["ls", "procesar", "--limit", "0"],
        /--limit: must be a whole number from 1 to 10000/,
      ],
      [
        ["ls", "procesar", "--offset", "-1"],
        /--offset: must be a whole number of at least 0/,
      ],
      [["ls", "procesar", "--group"], /--group: only works with ls fallidas/],
    ])("refuses %j with exit 2 and one line", async (args, message) => {
      const result = await cli(args);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    });

    it("exits 3 when Redis cannot be reached", async () => {
      const result = await cli(["ls", "procesar"], {
        ...unreachableRedis(kind),
      });

      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(
        /^batchctl: cannot reach Redis at 127.0.0.1:1/,
      );
      // The cause, not the name of a client library's option (fetch
      // refuses port 1 outright, so REST says "bad port").
      expect(result.stderr).toMatch(
        kind === "tcp" ? /ECONNREFUSED/ : /bad port/,
      );
      expect(result.stderr).not.toMatch(/maxRetriesPerRequest/);
    });
  });

  describe("show", () => {
    it("prints where a task is and its whole record, by id or id prefix", async () => {
      const { done } = await finishSome();

      const full = await cli(["show", done[0]!]);
      const short = await cli(["show", done[0]!.slice(0, 8)]);

      expect(full.code).toBe(0);
      const lines = full.stdout.split("\n");
      // Both reports run at once, so either may have finished last.
      expect(lines[0]).toMatch(
        new RegExp(`^${done[0]} in procesadas \\(position [01]\\)$`),
      );
      expect(full.stdout).toMatch(/^  tipo\s+generar_reporte$/m);
      expect(full.stdout).toMatch(
        /^  terminada_en\s+\S+Z \((now|\d+s ago)\)$/m,
      );
      expect(full.stdout).toMatch(
        /^  resultado\s+\{\n\s+"fecha": "2024-01-15",/m,
      );
      const withoutAges = (text: string) =>
        text.replace(/\((now|[^)]* ago)\)/g, "");
      expect(withoutAges(short.stdout)).toBe(withoutAges(full.stdout));
      expect(short.stdout.split("\n")[0]).toBe(lines[0]);
    });

    it("prints every place as JSON, with the failure's error", async () => {
      const { failed } = await finishSome();

      const result = await cli(["show", failed, "--json"]);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        id: failed,
        places: [
          {
            list: "fallidas",
            position: 1,
            entry: expect.objectContaining({
              id: failed,
              error: {
                mensaje: "fecha: is not a real calendar date",
                clase: "validacion",
              },
            }),
          },
        ],
      });
    });

    it("exits 1 with one clear line for an unknown id", async () => {
      await finishSome();

      const result = await cli([
        "show",
        "0f0f0f0f-dead-4000-8000-000000000000",
      ]);

      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: `batchctl: task 0f0f0f0f-dead-4000-8000-000000000000 is in no list of ${prefix()}\n`,
      });
    });

    it("exits 2 for an ambiguous prefix or something that is not an id", async () => {
      await pushRaw(
        ctx.queue,
        JSON.stringify({ id: "dup-1", tipo: "procesar_tickets_vencidos" }),
        JSON.stringify({ id: "dup-2", tipo: "procesar_tickets_vencidos" }),
      );

      const ambiguous = await cli(["show", "dup-"]);
      const bad = await cli(["show", "no spaces"]);

      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toBe(
        "batchctl: id dup- matches 2 tasks (dup-1, dup-2...); give more characters\n",
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe('batchctl: id: "no spaces" is not a task id\n');
    });
  });

  describe("stats", () => {
    /** The host the CLI reaches Redis at, as stats names it. */
    const host = () =>
      kind === "rest"
        ? new URL(ctx.env().REDIS_REST_URL!).host
        : ctx.queue.transport.target;

    it("prints counts, pause, workers and today's counters", async () => {
      await finishSome();
      await enqueue("procesar_tickets_vencidos");
      await ctx.queue.transport.command("SET", ctx.queue.keys.pause, "1");

      const result = await cli(["stats"]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`queue ${prefix()}  at `);
      expect(result.stdout).toContain(`transport: ${kind} ${host()}\n`);
      expect(result.stdout).toContain("paused: yes, until batchctl resume");
      expect(result.stdout).toMatch(/^procesar\s+1\s+oldest queued \S+ ago$/m);
      expect(result.stdout).toMatch(/^procesadas\s+2$/m);
      expect(result.stdout).toMatch(/^fallidas\s+2$/m);
      expect(result.stdout).toMatch(
        /^rate: [\d.]+ tasks\/s \(from records finished in the last/m,
      );
      expect(result.stdout).toContain("workers: 0 alive");
      expect(result.stdout).toMatch(/^generar_reporte\s+2\s+1\s+0$/m);
      expect(result.stdout).toMatch(/^total\s+2\s+2\s+0$/m);
    });

    it("shows each live worker's transport and Redis requests per minute", async () => {
      // A heartbeat every second, the first ones already with a request rate.
      const worker = ctx.start(["work", "--heartbeat-ttl", "3"]);
      const { keys, transport } = ctx.queue;
      const deadline = Date.now() + 20_000;
      let id: string | undefined;
      while (!id && Date.now() < deadline) {
        for (const w of await transport.command<string[]>(
          "SMEMBERS",
          keys.workers,
        )) {
          const beat = await transport.command<string | null>(
            "GET",
            keys.heartbeat(w),
          );
          if (beat && JSON.parse(beat).requests_per_min > 0) id = w;
        }
        if (!id) await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const text = await cli(["stats"]);
      const json = JSON.parse((await cli(["stats", "--json"])).stdout);
      worker.child.kill("SIGTERM");

      const target = `${kind} ${host()}`;
      expect(id).toBeDefined();
      expect(text.stdout).toMatch(
        /^workers: 1 alive, sending [\d,]+ Redis requests\/min$/m,
      );
      expect(text.stdout).toMatch(/TRANSPORT\s+REQ\/MIN$/m);
      expect(text.stdout).toMatch(
        new RegExp(`^${id}\\s+alive.*\\s${target}\\s+[\\d,]+$`, "m"),
      );
      expect(json.transport).toBe(target);
      expect(json.workers[0].info.transport).toBe(target);
      expect(json.requests_per_min).toBeGreaterThan(0);
      expect(json.requests_per_min).toBe(json.workers[0].info.requests_per_min);
    });

    it("prints JSON for scripts", async () => {
      await finishSome();

      const result = await cli(["stats", "--json"]);

      expect(result.code).toBe(0);
      const stats = JSON.parse(result.stdout);
      expect(stats.counts).toEqual({
        procesar: 0,
        procesando: 0,
        reintentos: 0,
        programadas: 0,
        procesadas: 2,
        fallidas: 2,
      });
      expect(stats.today.totals).toEqual({
        procesadas: 2,
        fallidas: 2,
        reintentos: 0,
      });
      expect(stats.pause).toEqual({ paused: false, expires_in_ms: null });
    });

    it("refreshes with --watch until interrupted, the rate then from samples", async () => {
      const watching = ctx.start([
        "stats",
        "--watch",
        "--json",
        "--interval",
        "200ms",
      ]);
      const deadline = Date.now() + 20_000;
      while (watching.lines.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      watching.child.kill("SIGINT");
      const exit = await exitWithin(watching, 10_000);

      expect(exit?.code).toBe(0);
      const ticks = jsonLines(watching.lines);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks[0]!.rate.source).toBe("records");
      expect(ticks[1]!.rate.source).toBe("samples");
    });

    it("refuses a bad --interval", async () => {
      const result = await cli(["stats", "--watch", "--interval", "soon"]);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^batchctl: --interval: "soon" must be a duration/,
      );
    });
  });

  describe("check", () => {
    it("exits 0 and prints each limit when none is exceeded", async () => {
      const result = await cli([
        "check",
        "--max-pending",
        "10",
        "--max-oldest",
        "10m",
        "--max-failed",
        "0",
      ]);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^ok\s+--max-pending 10\s+procesar has 0$/m,
      );
      expect(result.stdout).toMatch(
        /^ok\s+--max-oldest 10m\s+oldest queued task: none or age unknown$/m,
      );
      expect(result.stdout).toMatch(/^ok\s+--max-failed 0\s+fallidas has 0$/m);
    });

    it("exits 1 and names each limit exceeded", async () => {
      const old = new Date(Date.now() - 20 * MINUTE).toISOString();
      await pushRaw(
        ctx.queue,
        JSON.stringify({
          id: "old-1",
          tipo: "procesar_tickets_vencidos",
          encolada_en: old,
        }),
        JSON.stringify({ id: "old-2", tipo: "procesar_tickets_vencidos" }),
      );

      const result = await cli([
        "check",
        "--max-pending",
        "1",
        "--max-oldest",
        "10m",
        "--max-failed",
        "5",
      ]);
      const json = await cli([
        "check",
        "--max-oldest",
        "30m",
        "--max-pending",
        "1",
        "--json",
      ]);

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^FAIL\s+--max-pending 1\s+procesar has 2$/m,
      );
      expect(result.stdout).toMatch(
        /^FAIL\s+--max-oldest 10m\s+oldest queued task is 20m( \d\ds)? old$/m,
      );
      expect(result.stdout).toMatch(/^ok\s+--max-failed 5/m);
      expect(result.stderr).toBe(
        "batchctl: check failed: exceeded --max-pending 1, --max-oldest 10m\n",
      );
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        checks: [
          { flag: "--max-pending", value: 2, limit: 1, exceeded: true },
          {
            flag: "--max-oldest",
            value: expect.any(Number),
            limit: 30 * MINUTE,
            exceeded: false,
          },
        ],
      });
    });

    it.each([
      [
        ["check"],
        "give at least one of --max-pending, --max-oldest, --max-failed",
      ],
      [
        ["check", "--max-oldest", "10x"],
        '--max-oldest: "10x" is not a duration such as 10m',
      ],
      [
        ["check", "--max-pending", "-1"],
        "--max-pending: must be a whole number of at least 0",
      ],
    ])("refuses %j with exit 2", async (args, message) => {
      const result = await cli(args);

      expect(result).toMatchObject({
        code: 2,
        stderr: `batchctl: ${message}\n`,
      });
    });
  });

  describe("doctor", () => {
    it("passes on a set-up database, checking each function", async () => {
      const result = await cli(["doctor"]);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /^ok\s+redis\s+(tcp 127.0.0.1:6379|rest 127.0.0.1:\d+): Redis [\d.]+, [\d.]+ ms$/m,
      );
      expect(result.stdout).toMatch(
        /^ok\s+eviction\s+maxmemory-policy is noeviction$/m,
      );
      expect(result.stdout).toMatch(
        /^ok\s+database\s+postgres \S+ as batchctl_test_batch: [\d.]+ ms$/m,
      );
      expect(result.stdout).toMatch(
        /^ok\s+function\s+generar_reporte: batch.generar_reporte\(date\)$/m,
      );
      expect(result.stdout.match(/^ok\s+function/gm)).toHaveLength(3);
    });

    it("exits 1 and says what is wrong with a function, as JSON too", async () => {
      const env = { BATCH_FN_GENERAR_REPORTE: "batch.no_existe" };

      const result = await cli(["doctor"], env);
      const json = await cli(["doctor", "--json"], env);

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^FAIL\s+function\s+generar_reporte: batch.no_existe not found \(run batchctl db setup, or set BATCH_FN_GENERAR_REPORTE\)$/m,
      );
      expect(result.stderr).toBe("batchctl: doctor: 1 check failed\n");
      const report = JSON.parse(json.stdout);
      expect(report.ok).toBe(false);
      expect(
        report.checks.filter((c: { status: string }) => c.status === "fail"),
      ).toHaveLength(1);
    });

    it("reports unreachable services as failed checks", async () => {
      const result = await cli(["doctor"], {
        ...unreachableRedis(kind),
        DATABASE_URL_BATCH: "postgresql://nobody@127.0.0.1:1/none",
      });

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^FAIL\s+redis\s+cannot reach Redis at 127.0.0.1:1/m,
      );
      expect(result.stdout).toMatch(
        /^FAIL\s+database\s+PostgreSQL nobody@127.0.0.1:1\/none is not usable/m,
      );
      expect(result.stderr).toBe("batchctl: doctor: 2 checks failed\n");
    });
  });

  describe("completion and help", () => {
    it("prints a completion script and completes list names", async () => {
      const script = await cli(["completion"]);
      const lists = await cli([
        "--get-yargs-completions",
        "batchctl",
        "ls",
        "",
      ]);

      expect(script.code).toBe(0);
      expect(script.stdout).toContain("batchctl --get-yargs-completions");
      expect(lists.stdout.split("\n")).toEqual(
        expect.arrayContaining([
          "procesar",
          "procesando",
          "fallidas",
          "--tipo",
        ]),
      );
    });

    it.each([
      ["ls", ["--limit", "--offset", "--tipo", "--json", "--group"]],
      ["show", ["--json"]],
      ["stats", ["--json", "--watch", "--interval"]],
      ["check", ["--max-pending", "--max-oldest", "--max-failed", "--json"]],
      ["doctor", ["--json"]],
    ])("%s --help lists its options and examples", async (command, options) => {
      const result = await cli([command, "--help"]);

      expect(result.code).toBe(0);
      for (const option of options) expect(result.stdout).toContain(option);
      expect(result.stdout).toMatch(/Examples:\n\s+batchctl /);
    });
  });
});
