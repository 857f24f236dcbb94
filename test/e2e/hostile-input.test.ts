/**
 * What a careless or hostile producer can do to the people who read the
 * queue, and what a careless operator can type: tasks, records and
 * heartbeats whose text holds terminal escape codes are shown escaped by
 * every human view (`ls`, `show`, `stats`, groups); flags whose values
 * would overflow a timer, or that Redis would refuse, are refused up
 * front with one line naming the flag.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { openE2e, type E2eContext } from "../helpers/e2e.js";
import { readRecords } from "../helpers/redis.js";

let ctx: E2eContext;

beforeAll(async () => {
  ctx = await openE2e("hostile");
});

afterEach(() => ctx.cleanup());

afterAll(() => ctx.close());

/** Control characters a terminal acts on: C0 but newline, DEL, C1. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** A dozen process starts: minutes on a loaded 2-core machine. */
const VIEWS_TIMEOUT_MS = 240_000;
/** Sets the window title, then clears the screen. */
const ESCAPES = "\u001b]0;pwned\u0007\u001b[2J\u009b31m";

describe("text from the queue on a terminal", () => {
  it(
    "is shown escaped by ls, show, stats and the failure groups",
    async () => {
      const { transport, keys } = ctx.queue;
      const hostile = [
        JSON.stringify({ id: "esc-tipo", tipo: ESCAPES }),
        JSON.stringify({
          id: "esc-field",
          tipo: "procesar_tickets_vencidos",
          [ESCAPES]: 1,
        }),
        `${ESCAPES}not json`,
      ];
      await transport.command("RPUSH", keys.pending, ...hostile);
      // A "worker" whose name carries the codes, with a task in flight.
      const worker = `w${ESCAPES}`;
      await transport.command("SADD", keys.workers, worker);
      await transport.command(
        "SET",
        keys.heartbeat(worker),
        "{}",
        "PX",
        60_000,
      );
      await transport.command("RPUSH", keys.inFlight(worker), hostile[0]!);

      const views: [string, string][] = [];
      const look = async (args: string[]) => {
        const result = await runCli(args, ctx.env());
        expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
        views.push([args.join(" "), result.stdout + result.stderr]);
        return result.stdout;
      };
      // Published schedules as an older version, junk or a hostile hand
      // wrote them (`null` crashed stats and the TUI).
      await transport.command(
        "HSET",
        keys.schedules,
        "null-entry",
        "null",
        "junk",
        "{",
        "no-name",
        JSON.stringify({ expires_at: Date.now() + 600_000 }),
        "hostile",
        JSON.stringify({
          name: ESCAPES,
          tipo: "procesar_tickets_vencidos",
          cron: "* * * * *",
          timezone: "UTC",
          task: {},
          worker: "w",
          published_at: new Date().toISOString(),
          expires_at: Date.now() + 600_000,
        }),
      );
      const pending = await look(["ls", "procesar"]);
      await look(["ls", "procesando"]);
      await look(["stats"]);
      await transport.command("DEL", keys.inFlight(worker), keys.workers);
      const drained = await runCli(["work", "--drain"], ctx.env());
      expect(drained.code, drained.stderr).toBe(0);
      const failed = await readRecords(ctx.queue, keys.failed);
      expect(failed.map((r) => r.error?.clase)).toEqual([
        "validacion",
        "validacion",
        "validacion",
      ]);
      await look(["ls", "fallidas"]);
      await look(["ls", "fallidas", "--group"]);
      await look(["show", "esc-tipo"]);
      await look(["show", "esc-field"]);
      const json = await look(["show", "esc-tipo", "--json"]);
      await look(["stats"]);
      await transport.command(
        "LPUSH",
        keys.audit,
        "null",
        "{}",
        `not json ${ESCAPES}`,
        JSON.stringify({ user: ESCAPES, host: ESCAPES, command: ESCAPES }),
      );
      await look(["audit"]);
      await transport.command(
        "SET",
        keys.pause,
        JSON.stringify({ since: ESCAPES, by: ESCAPES }),
      );
      await look(["stats"]);
      await look(["stats", "--json"]);

      const unsafe = views
        .filter(([, text]) => CONTROL.test(text))
        .map(
          ([view, text]) => `${view}: ${JSON.stringify(text.slice(0, 200))}`,
        );
      expect(unsafe).toEqual([]);
      expect(pending).toContain("\\u001b]0;pwned\\u0007");
      // JSON stays JSON, with the same values.
      const shown = JSON.parse(json) as {
        places: { entry: { tipo: string } }[];
      };
      expect(shown.places[0]?.entry.tipo).toBe(ESCAPES);
    },
    VIEWS_TIMEOUT_MS,
  );
});

describe("flags a timer or Redis could not take, or given twice", () => {
  it.each([
    [["work", "--task-timeout", "3000000"], "--task-timeout: must be from"],
    [["work", "--shutdown-timeout", "3000000"], "--shutdown-timeout: must be"],
    [["work", "--heartbeat-ttl", "3000000"], "--heartbeat-ttl: must be from"],
    [["work", "--keep-processed", "1.5"], "--keep-processed: must be a whole"],
    [["stats", "--watch", "--interval", "30d"], "--interval: "],
    [["tui", "--refresh", "10000000000"], "--refresh: must be from"],
    [["pause", "--for", "1m", "--for", "2m"], "--for: given more than once"],
    [
      ["check", "--max-oldest", "1s", "--max-oldest", "2s"],
      "--max-oldest: given more than once",
    ],
    [
      ["delete", "x", "--from", "procesar", "--from", "fallidas"],
      "--from: given more than once",
    ],
    [
      ["ls", "procesar", "--tipo", "a", "--tipo", "b"],
      "--tipo: given more than once",
    ],
    [
      ["enqueue", "--json", "{}", "--json", "{}"],
      "--json: given more than once",
    ],
    [["delete", ""], 'id: "" is not a task id'],
    [
      ["delete", ...Array.from({ length: 101 }, (_, i) => `abcd${i}`)],
      "ids: more than 100 short ids",
    ],
    [["retry", "--id", "a b"], 'id: "a b" is not a task id'],
    [["ls", "procesar", "--tipo", ""], "--tipo: must name a tipo"],
  ])("refuses %j in one line, exit 2", async (args, message) => {
    const result = await runCli(args, ctx.env());

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^batchctl: ${message}[^\\n]*\\n$`),
    );
  });

  it("runs with a heartbeat TTL that is not whole milliseconds", async () => {
    const { transport, keys } = ctx.queue;
    await transport.command(
      "RPUSH",
      keys.pending,
      JSON.stringify({ id: "ttl-task", tipo: "procesar_tickets_vencidos" }),
    );

    const result = await runCli(
      ["work", "--drain", "--heartbeat-ttl", "1.0005"],
      ctx.env(),
    );

    expect(result.code, result.stderr).toBe(0);
    const processed = await readRecords(ctx.queue, keys.processed);
    expect(processed.map((r) => r.id)).toEqual(["ttl-task"]);
  });
});
