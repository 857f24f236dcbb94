/**
 * The bad-input corpus through a real `batchctl work` process: each entry
 * ends in `P:fallidas` as `validacion` with a message naming its field,
 * the worker keeps going, and the valid tasks between them are processed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BAD_TASKS,
  LITERAL_KEYS,
  MAX_MESSAGE_LENGTH,
} from "../../corpus/bad-tasks.js";
import { RAW_RECORD_LIMIT } from "../../../src/queue/index.js";
import { runCli } from "../../helpers/cli.js";
import { openE2e, type E2eContext } from "../../helpers/e2e.js";
import { readRecords } from "../../helpers/redis.js";

let ctx: E2eContext;
/** The worker's message for each corpus entry, by name. */
const workerMessages = new Map<string, string>();

/** Longest --json argument sent on the command line (argv limit 128 KiB). */
const MAX_ARG = 64 * 1024;
/** Each kind of bad input, and how the corpus names its entries. */
const KINDS: Record<string, RegExp> = {
  "not JSON": /^plain text$/,
  "JSON that is not an object": /^an array$/,
  BOM: /BOM/,
  "invalid UTF-8": /invalid UTF-8/,
  "10 MB task": /^10 MB task$/,
  "deep nesting": /^nesting/,
  "unknown tipo": /^unknown tipo$/,
  "each field missing": /^(tipo|ticket_id|fecha|claves) missing$/,
  "ticket_id missing": /^ticket_id missing$/,
  "fecha missing": /^fecha missing$/,
  "claves missing": /^claves missing$/,
  "each field null (tipo)": /^tipo null$/,
  "ticket_id null": /^ticket_id null$/,
  "fecha null": /^fecha null$/,
  "claves null": /^claves null$/,
  "id null": /^id null$/,
  "intentos null": /^intentos null$/,
  "encolada_en null": /^encolada_en null$/,
  "wrong type": /^ticket_id an array$/,
  "extra field": /^extra field on/,
  "SQL in tipo": /^tipo with SQL$/,
  "SQL in ticket_id": /^ticket_id with SQL$/,
  "SQL in fecha": /^fecha with SQL$/,
  "SQL in id": /^id with SQL$/,
  "SQL in encolada_en": /^encolada_en with SQL$/,
  "impossible dates": /^fecha 2024-02-30$/,
  "claves empty": /^claves empty$/,
  "10,000 keys": /^10,000 keys$/,
  "keys with newlines": /^claves with a newline$/,
  "numbers where strings go": /^(ticket_id|fecha|tipo) a number$/,
  "ids with leading zeros": /leading zeros/,
};

/**
 * One process per entry: half a minute on a quiet 2-core machine, several
 * minutes when it is shared by other test runs.
 */
const ENQUEUE_TIMEOUT_MS = 600_000;
/** Processes started at once. */
const PARALLEL = 8;

/** The cut text of a record plus its other fields (escapes may double). */
const MAX_RECORD_CHARS = 2 * RAW_RECORD_LIMIT + 4096;

/** C0, DEL and C1 controls: what a terminal would act on. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const escapeRegExp = (text: string) =>
  text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

beforeAll(async () => {
  ctx = await openE2e("bad_input");
});

afterAll(async () => {
  await ctx.cleanup();
  await ctx.close();
});

describe("the bad-input corpus", () => {
  it("has at least 60 entries", () => {
    expect(BAD_TASKS.length).toBeGreaterThanOrEqual(60);
  });

  it("covers every kind of bad input the corpus promises", () => {
    const names = BAD_TASKS.map((bad) => bad.name);
    const missing = Object.entries(KINDS).filter(
      ([, pattern]) => !names.some((name) => pattern.test(name)),
    );
    expect(missing.map(([kind]) => kind)).toEqual([]);
  });

  it("records each bad entry as validacion naming its field; the valid ones run", async () => {
    const { transport, keys } = ctx.queue;
    const keep = LITERAL_KEYS.map((key) => `${key}:keep`);
    const siblings = ["cache:a", "cache:b", "cache:x", "cache:with"];
    for (const key of [...LITERAL_KEYS, ...keep, ...siblings]) {
      await transport.command("SET", key, "1");
    }
    // A valid task after every bad one, so each bad one sits among them.
    for (const [i, bad] of BAD_TASKS.entries()) {
      await transport.command("RPUSH", keys.pending, bad.raw as string);
      await transport.command(
        "RPUSH",
        keys.pending,
        JSON.stringify({ id: `ok-${i}`, tipo: "procesar_tickets_vencidos" }),
      );
    }
    await transport.command(
      "RPUSH",
      keys.pending,
      JSON.stringify({
        id: "literal",
        tipo: "limpiar_cache",
        claves: LITERAL_KEYS,
      }),
    );

    // One at a time, so the failure records come out in corpus order.
    const worker = ctx.start(["work", "--drain", "--concurrency", "1"]);
    const exited = await worker.exited;

    expect(exited.code, worker.stderr()).toBe(0);
    const failed = (await readRecords(ctx.queue, keys.failed)).reverse();
    const outcomes = failed.map((record, i) => ({
      name: BAD_TASKS[i]?.name,
      clase: record.error?.clase,
      mensaje: String(record.error?.mensaje).slice(0, 120),
    }));
    expect(outcomes).toEqual(
      BAD_TASKS.map((bad) => ({
        name: bad.name,
        clase: "validacion",
        mensaje: expect.stringMatching(
          new RegExp(`^${escapeRegExp(bad.field)}(\\.\\d+)?: `),
        ) as unknown as string,
      })),
    );
    for (const [i, record] of failed.entries()) {
      workerMessages.set(BAD_TASKS[i]!.name, String(record.error?.mensaje));
    }
    // A count no task could have is not taken as its attempts so far, and
    // a value failing two rules is said once.
    const huge = failed[BAD_TASKS.findIndex((b) => b.name === "intentos huge")];
    expect([huge?.intentos, huge?.error?.mensaje]).toEqual([
      1,
      "intentos: must be a whole number from 0 to 1000",
    ]);
    // A record stays small whatever the producer sent: past the limit it
    // keeps the cut text instead of the task.
    const bulky = failed
      .map((record, i) => ({ name: BAD_TASKS[i]?.name, record }))
      .filter(({ record }) => JSON.stringify(record).length > MAX_RECORD_CHARS);
    expect(bulky.map(({ name }) => name)).toEqual([]);
    // Every message is one short line a terminal shows as it is.
    expect(
      [...workerMessages].filter(
        ([, mensaje]) =>
          mensaje.length > MAX_MESSAGE_LENGTH || CONTROL.test(mensaje),
      ),
    ).toEqual([]);
    const processed = await readRecords(ctx.queue, keys.processed);
    expect(processed.map((record) => record.id).sort()).toEqual(
      [...BAD_TASKS.map((_, i) => `ok-${i}`), "literal"].sort(),
    );
    expect(processed.find((r) => r.id === "literal")?.resultado).toEqual({
      claves: LITERAL_KEYS.length,
      borradas: LITERAL_KEYS.length,
    });
    for (const key of [...keep, ...siblings]) {
      expect(await transport.command("EXISTS", key), key).toBe(1);
    }
    await transport.command("DEL", ...keep, ...siblings);
  });
});

describe("the bad-input corpus through batchctl enqueue", () => {
  it(
    "refuses each entry with exit 2 and the worker's message, queueing nothing",
    async () => {
      expect(workerMessages.size).toBe(BAD_TASKS.length);
      const results: { name: string; code: number | null; stderr: string }[] =
        [];
      // A few at a time: each is a process start.
      for (let i = 0; i < BAD_TASKS.length; i += PARALLEL) {
        const chunk = BAD_TASKS.slice(i, i + PARALLEL);
        results.push(
          ...(await Promise.all(
            chunk.map(async (bad) => {
              const viaArg =
                typeof bad.raw === "string" &&
                bad.raw.length < MAX_ARG &&
                !bad.raw.includes("\u0000");
              // Bytes, NULs and huge entries cannot be an argument: NDJSON on
              // stdin.
              const result = viaArg
                ? await runCli(
                    ["enqueue", "--json", bad.raw as string],
                    ctx.env(),
                  )
                : await runCli(["enqueue", "--file", "-"], ctx.env(), bad.raw);
              return {
                name: bad.name,
                code: result.code,
                stderr: result.stderr,
              };
            }),
          )),
        );
      }

      expect(
        results.map(({ name, code, stderr }) => ({
          name,
          code,
          lines: stderr.trimEnd().split("\n").length,
          sameMessage: stderr.includes(workerMessages.get(name)!),
        })),
      ).toEqual(
        BAD_TASKS.map((bad) => ({
          name: bad.name,
          code: 2,
          lines: 1,
          sameMessage: true,
        })),
      );
      expect(
        await ctx.queue.transport.command("LLEN", ctx.queue.keys.pending),
      ).toBe(0);
    },
    ENQUEUE_TIMEOUT_MS,
  );
});
