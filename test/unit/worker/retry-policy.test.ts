import { describe, expect, it } from "vitest";
import { mayRetry, retryDelay } from "../../../src/worker/retry-policy.js";

const policy = { maxAttempts: 5, baseMs: 1000, maxMs: 10_000 };

describe("retry policy", () => {
  it("retries until the attempt limit", () => {
    expect([1, 2, 3, 4, 5].map((n) => mayRetry(policy, n))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("doubles the ceiling per attempt up to the maximum", () => {
    const ceiling = (attempt: number) =>
      retryDelay(policy, attempt, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(ceiling)).toEqual([
      999, 1999, 3999, 7999, 9999, 9999,
    ]);
  });

  it("jitters over the whole range", () => {
    expect(retryDelay(policy, 3, () => 0)).toBe(0);
    expect(retryDelay(policy, 3, () => 0.5)).toBe(2000);
  });
});
