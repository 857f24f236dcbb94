import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/common/duration.js";
import { UsageError } from "../../../src/common/errors.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1.5m", 90_000],
    ["45", 45_000],
    [" 5 s ", 5000],
  ])("reads %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "m", "10x", "-5s", "1h30m", "abc", "400d"])(
    "refuses %j naming the flag",
    (text) => {
      expect(() => parseDuration(text, "--in")).toThrow(UsageError);
      expect(() => parseDuration(text, "--in")).toThrow(/^--in: /);
    },
  );
});
