import { describe, expect, it } from "vitest";
import { printable, printableLines } from "../../../src/common/printable.js";

describe("printable", () => {
  it.each([
    ["\u001b]0;title\u0007", "\\u001b]0;title\\u0007"],
    ["\u001b[2Jx", "\\u001b[2Jx"],
    ["a\nb\tc\r", "a\\u000ab\\u0009c\\u000d"],
    ["\u009b31m", "\\u009b31m"],
    ["\u0085 next line", "\\u0085 next line"],
    ["ab\u202ecd", "ab\\u202ecd"],
    ["\u2028", "\\u2028"],
    ["\u007f", "\\u007f"],
  ])("escapes %j", (text, expected) => {
    expect(printable(text)).toBe(expected);
  });

  it("leaves printable text alone, accents and symbols included", () => {
    const text = "cache:ñandú · ticket 42 → ok ✓ 日本";
    expect(printable(text)).toBe(text);
  });
});

describe("printableLines", () => {
  it("keeps newlines and escapes every other control", () => {
    expect(printableLines("a\nb\u001b[31m\tc")).toBe("a\nb\\u001b[31m\\u0009c");
  });

  it("changes no value of pretty JSON", () => {
    const value = { tipo: "\u009b31m\u2028", n: [1, { k: "\u0085" }] };
    const text = printableLines(JSON.stringify(value, null, 2));
    expect(text).not.toMatch(/[\u0080-\u009f\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
