import { describe, expect, it } from "vitest";
import type { Ack } from "../../../src/queue/index.js";
import { createAckBuffer } from "../../../src/worker/ack-buffer.js";

function ack(id: string): Ack {
  return {
    kind: "procesada",
    raw: JSON.stringify({ id }),
    record: {
      id,
      tipo: "limpiar_cache",
      intentos: 1,
      encolada_en: null,
      iniciada_en: "2026-01-01T00:00:00.000Z",
      terminada_en: "2026-01-01T00:00:00.000Z",
      duracion_ms: 0,
      worker: "w",
    },
  };
}

describe("createAckBuffer", () => {
  it("announces only the outcomes the write recorded", async () => {
    const announced: string[] = [];
    const buffer = createAckBuffer({
      // "b" was returned to the queue meanwhile: the script skips it.
      write: async (acks) => acks.filter((a) => a.record.id !== "b"),
      onWritten: (acks) => announced.push(...acks.map((a) => a.record.id)),
      onWriteError: () => undefined,
    });

    await Promise.all(["a", "b", "c"].map((id) => buffer.add(ack(id))));

    expect(announced).toEqual(["a", "c"]);
  });

  it("announces what each half recorded when a batch was too large", async () => {
    const writes: string[][] = [];
    const announced: string[] = [];
    const buffer = createAckBuffer({
      write: async (acks) => {
        if (acks.length > 2) {
          throw Object.assign(new Error("too large"), { code: "too-large" });
        }
        writes.push(acks.map((a) => a.record.id));
        // The first of each half had been returned to the queue.
        return acks.slice(1);
      },
      onWritten: (acks) => announced.push(...acks.map((a) => a.record.id)),
      onWriteError: () => undefined,
    });

    await Promise.all(["a", "b", "c", "d"].map((id) => buffer.add(ack(id))));

    expect(writes).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(announced).toEqual(["b", "d"]);
  });
});
