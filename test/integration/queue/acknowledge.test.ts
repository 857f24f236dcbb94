/**
 * Acknowledgements on the real Redis: an outcome is recorded once, in the
 * same step that removes its in-flight copy, even when the write is sent
 * twice or the task was returned to the queue meanwhile.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  ACK_BY_DIGEST_CHARS,
  createWorkerQueue,
  queueStats,
  statsDay,
  type Ack,
  type TaskRecord,
  type WorkerInfo,
} from "../../../src/queue/index.js";
import {
  createTestQueue,
  readList,
  readRecords,
  TRANSPORTS,
} from "../../helpers/redis.js";

describe.each(TRANSPORTS)("over %s", (kind) => {
  const queue = createTestQueue("ack", kind);
  const { transport, keys } = queue;

  afterEach(() => queue.cleanup());
  afterAll(() => transport.close());

  function record(id: string, tipo = "limpiar_cache"): TaskRecord {
    const now = new Date().toISOString();
    return {
      id,
      tipo,
      tarea: { id, tipo },
      intentos: 1,
      encolada_en: null,
      iniciada_en: now,
      terminada_en: now,
      duracion_ms: 0,
      worker: "w1",
    };
  }

  /** A flat HGETALL reply as an object. */
  function pairs(flat: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  }

  function workerInfo(id: string): WorkerInfo {
    return {
      id,
      host: "h",
      pid: 1,
      started_at: new Date().toISOString(),
      concurrency: 1,
      in_flight: 0,
      processed: 0,
      failed: 0,
      transport: kind,
      requests: 0,
      requests_per_min: 0,
      version: "test",
    };
  }

  /** Pushes `ids` as tasks and claims them into worker w1's in-flight list. */
  async function claimed(...ids: string[]) {
    const raws = ids.map((id) => JSON.stringify({ id, tipo: "limpiar_cache" }));
    await transport.command("RPUSH", keys.pending, ...raws);
    const worker = createWorkerQueue({ transport, keys, worker: "w1" });
    expect(await worker.claim(ids.length)).toEqual(raws);
    return { worker, raws };
  }

  describe("acknowledge", () => {
    it("records each outcome, removes the in-flight copies and counts", async () => {
      const { worker, raws } = await claimed("a", "b", "c");
      const acks: Ack[] = [
        { kind: "procesada", raw: raws[0]!, record: record("a") },
        { kind: "fallida", raw: raws[1]!, record: record("b") },
        {
          kind: "reintento",
          raw: raws[2]!,
          record: record("c"),
          retryTask: JSON.stringify({ id: "c", intentos: 1 }),
          retryAt: 12345,
        },
      ];

      expect(await worker.acknowledge(acks)).toEqual([]);

      expect(await readList(queue, keys.inFlight("w1"))).toEqual([]);
      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["a"]);
      expect((await readRecords(queue, keys.failed)).map((r) => r.id)).toEqual([
        "b",
      ]);
      expect(
        await transport.command("ZRANGE", keys.retries, 0, -1, "WITHSCORES"),
      ).toEqual([JSON.stringify({ id: "c", intentos: 1 }), "12345"]);
      const counters = await transport.command<string[]>(
        "HGETALL",
        keys.stats(statsDay(new Date())),
      );
      expect(pairs(counters)).toEqual({
        "limpiar_cache:procesadas": "1",
        "limpiar_cache:fallidas": "1",
        "limpiar_cache:reintentos": "1",
      });
    });

    it("writes nothing twice when the same batch is sent again", async () => {
      const { worker, raws } = await claimed("a", "b");
      const acks: Ack[] = raws.map((raw, i) => ({
        kind: "procesada",
        raw,
        record: record(["a", "b"][i]!),
      }));

      expect(await worker.acknowledge(acks)).toEqual([]);
      expect(await worker.acknowledge(acks)).toEqual(acks);

      expect(await transport.command("LLEN", keys.processed)).toBe(2);
      expect(
        await transport.command(
          "HGET",
          keys.stats(statsDay(new Date())),
          "limpiar_cache:procesadas",
        ),
      ).toBe("2");
    });

    it("skips a task that was returned to the queue before its outcome", async () => {
      const { worker, raws } = await claimed("a", "b");
      // Another worker's reaper returned "a" (its heartbeat had expired).
      await transport.command("LREM", keys.inFlight("w1"), 1, raws[0]!);
      await transport.command("LPUSH", keys.pending, raws[0]!);

      const skipped = await worker.acknowledge(
        raws.map((raw, i) => ({
          kind: "procesada",
          raw,
          record: record(["a", "b"][i]!),
        })),
      );

      expect(skipped.map((ack) => ack.record.id)).toEqual(["a"]);
      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["b"]);
      expect(await readList(queue, keys.pending)).toEqual([raws[0]]);
    });

    it("deletes an outcome's keys in the step that records it and writes how many existed", async () => {
      const cache = `${keys.prefix.replace(/:/g, "_")}:cache`;
      await transport.command("MSET", `${cache}:a`, "1", `${cache}:b`, "2");
      const { worker, raws } = await claimed("a", "b");
      const acks: Ack[] = [
        {
          kind: "procesada",
          raw: raws[0]!,
          record: { ...record("a"), resultado: { claves: 2, borradas: null } },
          deletes: [`${cache}:a`, `${cache}:missing`],
        },
        {
          kind: "procesada",
          raw: raws[1]!,
          record: { ...record("b"), resultado: { claves: 1, borradas: null } },
          deletes: [`${cache}:b`],
        },
      ];

      expect(await worker.acknowledge(acks)).toEqual([]);

      const done = await readRecords(queue, keys.processed);
      expect(done.map((r) => [r.id, r.resultado])).toEqual([
        ["b", { claves: 1, borradas: 1 }],
        ["a", { claves: 2, borradas: 1 }],
      ]);
      expect(acks.map((ack) => ack.record.resultado)).toEqual([
        { claves: 2, borradas: 1 },
        { claves: 1, borradas: 1 },
      ]);
      expect(
        await transport.command("EXISTS", `${cache}:a`, `${cache}:b`),
      ).toBe(0);
    });

    it("deletes nothing for an outcome it skips", async () => {
      const cache = `${keys.prefix.replace(/:/g, "_")}:cache`;
      await transport.command("SET", `${cache}:kept`, "1");
      const { worker, raws } = await claimed("a");
      await transport.command("LREM", keys.inFlight("w1"), 1, raws[0]!);

      const ack: Ack = {
        kind: "procesada",
        raw: raws[0]!,
        record: { ...record("a"), resultado: { claves: 1, borradas: null } },
        deletes: [`${cache}:kept`],
      };

      expect(await worker.acknowledge([ack])).toEqual([ack]);
      expect(await transport.command("EXISTS", `${cache}:kept`)).toBe(1);
      await transport.command("DEL", `${cache}:kept`);
    });

    it("fills the count into the record even when the task's text holds the mark", async () => {
      const tricky = "\u0000batchctl:borradas";
      const { worker, raws } = await claimed("a");
      const withMark = {
        ...record("a"),
        tarea: { id: "a", tipo: "limpiar_cache", claves: [tricky] },
        resultado: { claves: 1, borradas: null },
      };

      await worker.acknowledge([
        {
          kind: "procesada",
          raw: raws[0]!,
          record: withMark,
          deletes: [tricky],
        },
      ]);

      const [done] = await readRecords(queue, keys.processed);
      expect(done?.tarea).toEqual(withMark.tarea);
      expect(done?.resultado).toEqual({ claves: 1, borradas: 0 });
    });
  });

  describe("acknowledgeAndClaim", () => {
    it("writes the outcomes, claims the next tasks and registers the worker, in one request", async () => {
      const { worker, raws } = await claimed("a");
      const next = ["b", "c", "d"].map((id) =>
        JSON.stringify({ id, tipo: "limpiar_cache" }),
      );
      await transport.command("RPUSH", keys.pending, ...next);
      // As if another worker had given this one up for dead meanwhile.
      await transport.command("SREM", keys.workers, "w1");
      const before = transport.stats().requests;

      const result = await worker.acknowledgeAndClaim(
        [{ kind: "procesada", raw: raws[0]!, record: record("a") }],
        2,
      );

      expect(transport.stats().requests - before).toBe(1);
      expect(result).toEqual({ skipped: [], claimed: next.slice(0, 2) });
      expect(await transport.command("SISMEMBER", keys.workers, "w1")).toBe(1);
      expect(await readList(queue, keys.inFlight("w1"))).toEqual(
        next.slice(0, 2),
      );
      expect(await readList(queue, keys.pending)).toEqual(next.slice(2));
      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["a"]);
    });

    it("applies a write sent again with its id once, leaving a second copy of the same text to its own task", async () => {
      // A producer queued one text twice; this worker claimed both copies.
      const raw = JSON.stringify({ tipo: "limpiar_cache", claves: ["k"] });
      await transport.command("RPUSH", keys.pending, raw, raw);
      const worker = createWorkerQueue({ transport, keys, worker: "w1" });
      expect(await worker.claim(2)).toEqual([raw, raw]);
      const first: Ack = { kind: "procesada", raw, record: record("first") };

      const write = { id: "x-7", seq: 7, oldest: 7 };
      await worker.acknowledgeAndClaim([first], 0, write);
      // The reply was lost: the same write goes again.
      const again = await worker.acknowledgeAndClaim([first], 0, write);

      expect(again.skipped).toEqual([]);
      expect(await readList(queue, keys.inFlight("w1"))).toEqual([raw]);
      const second: Ack = { kind: "fallida", raw, record: record("second") };
      expect(
        (
          await worker.acknowledgeAndClaim([second], 0, {
            id: "x-8",
            seq: 8,
            oldest: 7,
          })
        ).skipped,
      ).toEqual([]);
      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["first"]);
      expect((await readRecords(queue, keys.failed)).map((r) => r.id)).toEqual([
        "second",
      ]);
      expect(await readList(queue, keys.inFlight("w1"))).toEqual([]);
      const stats = pairs(
        (await transport.command(
          "HGETALL",
          keys.stats(statsDay(new Date())),
        )) as string[],
      );
      expect(stats).toEqual({
        "limpiar_cache:procesadas": "1",
        "limpiar_cache:fallidas": "1",
      });
    });

    it("remembers a write id until no older write waits for its reply, for a day", async () => {
      // Two copies of one text in flight, as in the test above.
      const raw = JSON.stringify({ tipo: "limpiar_cache", claves: ["k"] });
      await transport.command("RPUSH", keys.pending, raw, raw);
      const worker = createWorkerQueue({ transport, keys, worker: "w1" });
      expect(await worker.claim(2)).toEqual([raw, raw]);
      const applied = async () =>
        (await transport.command(
          "ZRANGE",
          keys.acknowledged("w1"),
          0,
          -1,
        )) as string[];
      const first: Ack = { kind: "procesada", raw, record: record("first") };
      const write0 = { id: "x-0", seq: 0, oldest: 0 };

      await worker.acknowledgeAndClaim([first], 0, write0);
      // Its reply was lost; while it waits out a retry, 40 more writes get
      // theirs (a count of recent ids would have forgotten it by now).
      for (let seq = 1; seq <= 40; seq++) {
        await worker.acknowledgeAndClaim([], 0, {
          id: `x-${seq}`,
          seq,
          oldest: 0,
        });
      }
      await worker.acknowledgeAndClaim([first], 0, write0);

      expect(await readList(queue, keys.inFlight("w1"))).toEqual([raw]);
      expect(await applied()).toHaveLength(41);
      // Write 0 answered: the ids below the oldest one waiting are dropped.
      const second: Ack = { kind: "procesada", raw, record: record("second") };
      await worker.acknowledgeAndClaim([second], 0, {
        id: "x-41",
        seq: 41,
        oldest: 41,
      });
      expect(await applied()).toEqual(["x-41"]);
      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["second", "first"]);
      const ttl = (await transport.command(
        "TTL",
        keys.acknowledged("w1"),
      )) as number;
      expect(ttl).toBeGreaterThan(86_000);
      expect(ttl).toBeLessThanOrEqual(86_400);
    });

    it("still writes the outcomes while paused, and claims nothing", async () => {
      const { worker, raws } = await claimed("a");
      await transport.command("RPUSH", keys.pending, "{}");
      await transport.command("SET", keys.pause, "1");

      const result = await worker.acknowledgeAndClaim(
        [{ kind: "procesada", raw: raws[0]!, record: record("a") }],
        5,
      );

      expect(result).toEqual({ skipped: [], claimed: null });
      expect(await readList(queue, keys.inFlight("w1"))).toEqual([]);
      expect(await readList(queue, keys.pending)).toEqual(["{}"]);
      expect(await transport.command("LLEN", keys.processed)).toBe(1);
    });
  });

  describe("acknowledge, capped", () => {
    it("keeps procesadas at its cap, newest first", async () => {
      const ids = Array.from({ length: 5 }, (_, i) => `t${i}`);
      const { raws } = await claimed(...ids);
      const capped = createWorkerQueue({
        transport,
        keys,
        worker: "w1",
        processedCap: 3,
      });

      await capped.acknowledge(
        raws.map((raw, i) => ({
          kind: "procesada",
          raw,
          record: record(ids[i]!),
        })),
      );

      expect(
        (await readRecords(queue, keys.processed)).map((r) => r.id),
      ).toEqual(["t4", "t3", "t2"]);
    });

    it("removes a large entry named by its digest, not sent back whole", async () => {
      const big = JSON.stringify({
        id: "big",
        tipo: "limpiar_cache",
        claves: ["x".repeat(ACK_BY_DIGEST_CHARS)],
      });
      const same = JSON.stringify({
        id: "big",
        tipo: "limpiar_cache",
        claves: ["y"],
      });
      await transport.command("RPUSH", keys.pending, same, big);
      const worker = createWorkerQueue({ transport, keys, worker: "w1" });
      expect(await worker.claim(2)).toEqual([same, big]);

      const skipped = await worker.acknowledge([
        { kind: "fallida", raw: big, record: record("big") },
      ]);

      expect(skipped).toEqual([]);
      expect(await readList(queue, keys.inFlight("w1"))).toEqual([same]);
      expect((await readRecords(queue, keys.failed)).map((r) => r.id)).toEqual([
        "big",
      ]);
    });

    it("counts tasks of an unknown tipo under invalida, never by their tipo", async () => {
      const { worker, raws } = await claimed("a", "b");

      await worker.acknowledge([
        { kind: "fallida", raw: raws[0]!, record: record("a", "__proto__") },
        { kind: "fallida", raw: raws[1]!, record: record("b", "x".repeat(99)) },
      ]);

      const counters = await transport.command<string[]>(
        "HGETALL",
        keys.stats(statsDay(new Date())),
      );
      expect(pairs(counters)).toEqual({ "invalida:fallidas": "2" });
    });
  });

  describe("stats", () => {
    it("reads a counter named __proto__ (an older worker's) as a tipo, polluting nothing", async () => {
      await transport.command(
        "HSET",
        keys.stats(statsDay(new Date())),
        "__proto__:fallidas",
        "3",
        "limpiar_cache:procesadas",
        "2",
      );

      const stats = await queueStats(queue);

      expect(Object.keys(stats.today.by_tipo).sort()).toEqual([
        "__proto__",
        "limpiar_cache",
      ]);
      expect(stats.today.totals).toEqual({
        procesadas: 2,
        fallidas: 3,
        reintentos: 0,
      });
      expect(({} as Record<string, unknown>).fallidas).toBeUndefined();
    });
  });

  describe("claim", () => {
    it("registers the worker again, so a worker given up for dead leaves nothing stranded", async () => {
      const w1 = createWorkerQueue({ transport, keys, worker: "w1" });
      const w2 = createWorkerQueue({ transport, keys, worker: "w2" });
      await w1.heartbeat(workerInfo("w1"), 60_000);
      // w1 stalls past its heartbeat; w2 gives it up for dead.
      await transport.command("DEL", keys.heartbeat("w1"));
      await w2.recoverDeadWorkers();
      expect(await transport.command("SMEMBERS", keys.workers)).toEqual([]);

      // w1 wakes up, claims before its next heartbeat, and dies.
      const raw = JSON.stringify({ id: "late", tipo: "limpiar_cache" });
      await transport.command("RPUSH", keys.pending, raw);
      expect(await w1.claim(5)).toEqual([raw]);
      const recovered = await w2.recoverDeadWorkers();

      expect(recovered).toEqual([{ worker: "w1", count: 1 }]);
      expect(await readList(queue, keys.pending)).toEqual([raw]);
    });
  });
});
