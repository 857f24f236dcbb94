import { describe, expect, it } from "vitest";
import {
  formatDuration,
  parseDuration,
  requireDuration,
} from "../../../src/common/duration.js";
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
    [" 5m ", 300_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "m", "10x", "-5m", "1h30m", "ten minutes"])(
    "refuses %j",
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe("formatDuration", () => {
  it.each([
    [850, "850ms"],
    [42_000, "42s"],
    [192_000, "3m 12s"],
    [600_000, "10m"],
    [5 * 3_600_000 + 3 * 60_000, "5h 03m"],
    [2 * 86_400_000 + 4 * 3_600_000, "2d 04h"],
    [-90_000, "1m 30s"],
  ])("shows %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("requireDuration", () => {
  it("returns milliseconds like parseDuration", () => {
    expect(requireDuration("10m", "--in")).toBe(600_000);
  });

  it.each(["", "soon", "-5s", "400d"])("refuses %j naming the flag", (text) => {
    expect(() => requireDuration(text, "--in")).toThrow(UsageError);
    expect(() => requireDuration(text, "--in")).toThrow(/^--in: /);
  });
});
