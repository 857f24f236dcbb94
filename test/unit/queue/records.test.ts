import { describe, expect, it } from "vitest";
import { serializeRecord, type TaskRecord } from "../../../src/queue/index.js";

const base: TaskRecord = {
  id: "t1",
  tipo: "generar_reporte",
  intentos: 1,
  encolada_en: null,
  iniciada_en: "2024-01-15T00:00:00.000Z",
  terminada_en: "2024-01-15T00:00:00.000Z",
  duracion_ms: 0,
  worker: "w1",
};

describe("serializeRecord", () => {
  it("writes an ordinary record as its JSON", () => {
    const record = { ...base, resultado: { total: 3 } };
    expect(JSON.parse(serializeRecord(record))).toEqual(record);
  });

  it("drops a task that cannot be serialised instead of throwing", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const record = { ...base, tarea: deep, resultado: 10n };

    const written = JSON.parse(serializeRecord(record));

    expect(written).toMatchObject({ id: "t1", tipo: "generar_reporte" });
    expect(written.tarea).toBeUndefined();
    expect(written.crudo).toMatch(/^\(task not recordable: /);
  });
});
