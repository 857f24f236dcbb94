import { describe, expect, it } from "vitest";
import { wrap } from "../../../src/ui/DetailPane.js";
import { fit, formatDuration, sparkline } from "../../../src/ui/format.js";

describe("ui format", () => {
  it.each([
    [0, "0s"],
    [59_000, "59s"],
    [61_000, "1m"],
    [3 * 3600_000, "3h"],
    [50 * 3600_000, "2d"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("cuts with an ellipsis and pads", () => {
    expect(fit("abcdef", 4)).toBe("abc…");
    expect(fit("ab", 4)).toBe("ab  ");
  });

  it("scales a sparkline to its maximum", () => {
    expect(sparkline([0, 7, 14])).toBe("▁▅█");
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(sparkline([undefined, 2, 4])).toBe(" ▅█");
  });

  it("wraps at spaces and indents under the label", () => {
    const lines = wrap(
      "error        permanente: ticket 1234 does not exist",
      32,
    );
    expect(lines).toEqual([
      "error        permanente: ticket",
      "             1234 does not exist",
    ]);
    expect(lines.every((l) => l.length <= 32)).toBe(true);
  });
});
