import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/common/errors.js";
import { parseTaskLines } from "../../../src/common/task-lines.js";

describe("parseTaskLines", () => {
  it("reads one task per line, skipping blank lines and CRs", () => {
    const text = [
      '{"tipo":"procesar_tickets_vencidos"}',
      "",
      '{"tipo":"generar_reporte","fecha":"2024-01-15"}\r',
      "",
    ].join("\n");

    expect(parseTaskLines(text)).toEqual([
      { tipo: "procesar_tickets_vencidos" },
      { tipo: "generar_reporte", fecha: "2024-01-15" },
    ]);
  });

  it("names the first bad line with its problem", () => {
    const text = [
      '{"tipo":"procesar_tickets_vencidos"}',
      '{"tipo":"procesar_tickets_vencidos"}',
      '{"tipo":"generar_reporte","fecha":"2024-02-30"}',
      "not json",
    ].join("\n");

    expect(() => parseTaskLines(text, "tasks.ndjson")).toThrow(
      /^tasks\.ndjson line 3: fecha: is not a real calendar date; nothing was queued$/,
    );
  });

  it("says so for a line that is not JSON", () => {
    expect(() => parseTaskLines("{}\n{oops")).toThrow(
      /line 1: tipo: is required/,
    );
    expect(() =>
      parseTaskLines('{"tipo":"procesar_tickets_vencidos"}\n{oops'),
    ).toThrow(/line 2: task: is not valid JSON/);
  });

  it("refuses input without tasks", () => {
    expect(() => parseTaskLines("\n \n", "stdin")).toThrow(UsageError);
    expect(() => parseTaskLines("", "stdin")).toThrow(/stdin: has no tasks/);
  });
});
