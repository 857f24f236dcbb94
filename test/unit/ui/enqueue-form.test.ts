import { describe, expect, it } from "vitest";
import { buildTask, validateForm } from "../../../src/ui/enqueue-form.js";

describe("enqueue form", () => {
  it.each([
    ["generar_reporte", {}, { fecha: "is required" }],
    [
      "generar_reporte",
      { fecha: "2024-02-30" },
      { fecha: "is not a real calendar date" },
    ],
    ["generar_reporte", { fecha: "2024-01-15" }, {}],
    [
      "notificar_ticket_creado",
      { ticket_id: "nope" },
      { ticket_id: "must be a UUID" },
    ],
    ["procesar_tickets_vencidos", {}, {}],
    ["limpiar_cache", { claves: "" }, { claves: "is required" }],
    ["limpiar_cache", { claves: "a b,c" }, {}],
  ] as const)(
    "validates %s %j with the task schemas",
    (tipo, values, errors) => {
      expect(validateForm(tipo, values)).toEqual(errors);
    },
  );

  it("splits cache keys on spaces and commas", () => {
    expect(buildTask("limpiar_cache", { claves: " a  b,c " })).toEqual({
      tipo: "limpiar_cache",
      claves: ["a", "b", "c"],
    });
  });
});
