import { describe, expect, it } from "vitest";
import {
  CLAIM_AHEAD_FACTOR,
  CLAIM_AHEAD_MAX_TASK_MS,
  createClaimAhead,
} from "../../../src/worker/claim-ahead.js";

describe("claim ahead", () => {
  it("holds no more than --concurrency before any task has finished", () => {
    expect(createClaimAhead(8).capacity()).toBe(8);
  });

  it.each([
    ["short tasks", [1, 2, 0, 3], 8 * CLAIM_AHEAD_FACTOR],
    ["long tasks", [250, 400, 300], 8],
    ["a task just at the limit", [CLAIM_AHEAD_MAX_TASK_MS], 8],
  ])("holds the right number for %s", (_name, durations, expected) => {
    const policy = createClaimAhead(8);
    for (const ms of durations) policy.observe(ms);
    expect(policy.capacity()).toBe(expected);
  });

  it("stops claiming ahead once tasks grow long, and resumes when short again", () => {
    const policy = createClaimAhead(4);
    policy.observe(2);
    expect(policy.capacity()).toBe(8);

    for (let i = 0; i < 10; i++) policy.observe(1000);
    expect(policy.capacity()).toBe(4);

    for (let i = 0; i < 60; i++) policy.observe(1);
    expect(policy.capacity()).toBe(8);
  });
});
