import { describe, expect, it } from "vitest";
import {
  isCalendarDate,
  stampTask,
  TaskValidationError,
  validateTask,
} from "../../../src/common/task.js";

const UUID = "3f0c1f4e-8a9b-4c2d-9e1f-0a1b2c3d4e5f";

function issuesOf(value: unknown): string[] {
  try {
    validateTask(value);
  } catch (error) {
    if (error instanceof TaskValidationError) return error.issues;
    throw error;
  }
  return [];
}

describe("validateTask", () => {
  it.each([
    [{ tipo: "procesar_tickets_vencidos" }],
    [{ tipo: "notificar_ticket_creado", ticket_id: UUID }],
    [{ tipo: "generar_reporte", fecha: "2024-02-29" }],
    [{ tipo: "limpiar_cache", claves: ["a", "b*"] }],
    [
      {
        tipo: "generar_reporte",
        fecha: "2024-01-15",
        id: "abc-1",
        intentos: 2,
      },
    ],
  ])("accepts %j", (task) => {
    expect(issuesOf(task)).toEqual([]);
  });

  it.each([
    [[1], "task: must be a JSON object"],
    [null, "task: must be a JSON object"],
    [{}, "tipo: is required"],
    [{ tipo: "borrar_todo" }, "tipo: unknown tipo"],
    [{ tipo: 5 }, "tipo: unknown tipo number"],
    [
      { tipo: "generar_reporte", fecha: "2024-02-30" },
      "fecha: is not a real calendar date",
    ],
    [
      { tipo: "generar_reporte", fecha: "2024-1-5" },
      "fecha: must be a date as YYYY-MM-DD",
    ],
    [
      { tipo: "generar_reporte", fecha: "15/01/2024" },
      "fecha: must be a date as YYYY-MM-DD",
    ],
    [{ tipo: "generar_reporte" }, "fecha: is required"],
    [{ tipo: "generar_reporte", fecha: null }, "fecha: must be a string"],
    [{ tipo: "generar_reporte", fecha: 20240115 }, "fecha: must be a string"],
    [
      { tipo: "notificar_ticket_creado", ticket_id: "123" },
      "ticket_id: must be a UUID",
    ],
    [
      { tipo: "limpiar_cache", claves: [] },
      "claves: must list at least one key",
    ],
    [{ tipo: "limpiar_cache", claves: "k" }, "claves: must be an array"],
    [{ tipo: "limpiar_cache", claves: [""] }, "claves.0: must not be empty"],
    [{ tipo: "limpiar_cache", claves: [7] }, "claves.0: must be a string"],
    [{ tipo: "procesar_tickets_vencidos", extra: 1 }, "extra: unknown field"],
    [{ tipo: "procesar_tickets_vencidos", id: "" }, "id: must be"],
    [{ tipo: "procesar_tickets_vencidos", intentos: -1 }, "intentos:"],
  ])("refuses %j naming the field", (task, expected) => {
    const issues = issuesOf(task);
    expect(issues.join("\n")).toContain(expected);
  });

  it("refuses more than 1000 keys", () => {
    const claves = Array.from({ length: 1001 }, (_, i) => `k${i}`);
    expect(issuesOf({ tipo: "limpiar_cache", claves })).toEqual([
      "claves: must list at most 1000 keys",
    ]);
  });
});

describe("isCalendarDate", () => {
  it.each([
    ["2024-02-29", true],
    ["2023-02-29", false],
    ["2024-04-31", false],
    ["2024-12-31", true],
    ["2024-13-01", false],
    ["2024-00-10", false],
  ])("%s -> %s", (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });
});

describe("stampTask", () => {
  it("adds an id and an enqueue time, keeping existing ones", () => {
    const fresh = stampTask({ tipo: "procesar_tickets_vencidos" });
    expect(fresh.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(fresh.encolada_en)).not.toBeNaN();

    const kept = stampTask({ tipo: "procesar_tickets_vencidos", id: "x1" });
    expect(kept.id).toBe("x1");
  });
});
