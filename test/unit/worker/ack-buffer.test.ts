import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Ack } from "../../../src/queue/index.js";
import {
  ACK_TICK_MS,
  createAckBuffer,
  type AckBufferOptions,
} from "../../../src/worker/ack-buffer.js";

const ack = (id: string): Ack => ({
  kind: "procesada",
  raw: id,
  record: {
    id,
    tipo: "limpiar_cache",
    intentos: 1,
    encolada_en: null,
    iniciada_en: "",
    terminada_en: "",
    duracion_ms: 0,
    worker: "w",
  },
});

/** A buffer whose writes wait until the test releases them. */
function setup(
  opts: { flushAt?: number; isBusy?: boolean; batchSize?: number } = {},
) {
  const writes: { ids: string[]; release: () => void }[] = [];
  let isBusy = opts.isBusy ?? false;
  const buffer = createAckBuffer({
    write: (acks) =>
      new Promise<void>((resolve) => {
        writes.push({ ids: acks.map((a) => a.record.id), release: resolve });
      }),
    flushAt: opts.flushAt ?? 4,
    batchSize: opts.batchSize ?? 256,
    isBusy: () => isBusy,
    onWritten: () => undefined,
    onWriteError: () => undefined,
  });
  return {
    buffer,
    writes,
    setBusy: (value: boolean) => (isBusy = value),
  };
}

/** A buffer that writes each outcome at once through `write`. */
const writingAtOnce = (write: AckBufferOptions["write"]) =>
  createAckBuffer({
    write,
    flushAt: 1,
    batchSize: 256,
    isBusy: () => false,
    onWritten: () => undefined,
    onWriteError: () => undefined,
  });

describe("ack buffer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("writes outcomes of one turn together, at once when nothing else runs", async () => {
    const { buffer, writes } = setup();
    void buffer.add(ack("a"));
    void buffer.add(ack("b"));

    await vi.advanceTimersToNextTimerAsync();

    expect(writes.map((w) => w.ids)).toEqual([["a", "b"]]);
  });

  it("lets a trickle of outcomes wait one tick while tasks still run", async () => {
    const { buffer, writes } = setup({ isBusy: true });
    void buffer.add(ack("a"));
    await vi.advanceTimersByTimeAsync(ACK_TICK_MS - 1);
    void buffer.add(ack("b"));
    expect(writes).toEqual([]);

    await vi.advanceTimersByTimeAsync(1);

    expect(writes.map((w) => w.ids)).toEqual([["a", "b"]]);
  });

  it("writes a full batch at once even while tasks run", async () => {
    const { buffer, writes } = setup({ isBusy: true, flushAt: 3 });
    for (const id of ["a", "b", "c"]) void buffer.add(ack(id));

    await vi.advanceTimersToNextTimerAsync();

    expect(writes.map((w) => w.ids)).toEqual([["a", "b", "c"]]);
  });

  it("writes at most batchSize outcomes per request, two requests at once", async () => {
    const { buffer, writes } = setup({ batchSize: 2 });
    for (const id of ["a", "b", "c", "d", "e"]) void buffer.add(ack(id));

    await vi.advanceTimersToNextTimerAsync();

    expect(writes.map((w) => w.ids)).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(buffer.size).toBe(1);
  });

  it("keeps at most two writes in flight, and resolves each add once written", async () => {
    const { buffer, writes } = setup({ flushAt: 1 });
    const done: string[] = [];
    for (const id of ["a", "b", "c"]) {
      void buffer.add(ack(id)).then(() => done.push(id));
      await vi.advanceTimersToNextTimerAsync();
    }
    expect(writes.map((w) => w.ids)).toEqual([["a"], ["b"]]);
    expect(buffer.size).toBe(1);

    writes[0]!.release();
    await vi.advanceTimersToNextTimerAsync();

    expect(done).toEqual(["a"]);
    expect(writes.map((w) => w.ids)).toEqual([["a"], ["b"], ["c"]]);
  });

  it("sends a retried write with its id again, and every other write with a new one", async () => {
    // Attempts: the first fails (its reply lost), the second succeeds; the
    // next batch is too large once and goes as two halves.
    const sent: { ids: string[]; writeId: string; oldest: number }[] = [];
    let failures = [new Error("reply lost")];
    const buffer = writingAtOnce(async (acks, write) => {
      sent.push({
        ids: acks.map((a) => a.record.id),
        writeId: write.id,
        oldest: write.oldest,
      });
      const failure = failures.shift();
      if (failure) throw failure;
    });

    const first = buffer.add(ack("a"));
    await vi.runAllTimersAsync();
    await first;
    failures = [Object.assign(new Error("too large"), { code: "too-large" })];
    const rest = Promise.all(["b", "c"].map((id) => buffer.add(ack(id))));
    await vi.runAllTimersAsync();
    await rest;

    expect(sent.map((s) => s.ids)).toEqual([
      ["a"],
      ["a"],
      ["b", "c"],
      ["b"],
      ["c"],
    ]);
    const ids = sent.map((s) => s.writeId);
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids.slice(1)).size).toBe(4);
    // The halves go while the refused whole still waits: nothing older
    // than it may be forgotten yet.
    expect(sent.map((s) => s.oldest)).toEqual([0, 0, 1, 1, 1]);
  });

  it("draws ids that another buffer (a restarted worker) does not repeat", () => {
    const idOf = async () => {
      let writeId = "";
      const buffer = writingAtOnce(async (_acks, write) => {
        writeId = write.id;
      });
      const done = buffer.add(ack("a"));
      await vi.runAllTimersAsync();
      await done;
      return writeId;
    };
    return Promise.all([idOf(), idOf()]).then(([a, b]) => {
      expect(a).not.toBe("");
      expect(a).not.toBe(b);
    });
  });
});
