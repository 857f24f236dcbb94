import calculateSlot from "cluster-key-slot";
import { describe, expect, it } from "vitest";
import { hashTagOf } from "../../../src/common/cluster.js";
import { createKeys, type QueueKeys } from "../../../src/queue/keys.js";
import { groupBySlot, slotOf } from "../../../src/queue/slots.js";

/** Every key `keys` can build, with sample worker ids and days. */
function everyKey(keys: QueueKeys): string[] {
  const samples = ["w1", "host-123-abc}", "{other}", "2024-01-01"];
  return Object.entries(keys).flatMap(([field, value]) => {
    if (field === "prefix") return [];
    if (typeof value === "function") {
      const build = value as (...parts: string[]) => string;
      return samples.map((sample) => build(sample, sample));
    }
    return [value as string];
  });
}

describe("queue keys on a Redis Cluster", () => {
  it.each(["{cola:batch}", "app:{cola}:batch", "{q}", "a}{b}"])(
    "all land in the slot of prefix %j's hash tag",
    (prefix) => {
      const keys = everyKey(createKeys(prefix));
      const slot = calculateSlot(hashTagOf(prefix)!);

      expect(keys.length).toBeGreaterThanOrEqual(20);
      for (const key of keys) expect(slotOf(key), key).toBe(slot);
      for (const key of keys) expect(calculateSlot(key), key).toBe(slot);
    },
  );

  it("spread over slots without a hash tag (why the prefix is refused)", () => {
    const slots = new Set(everyKey(createKeys("cola:batch")).map(slotOf));
    expect(slots.size).toBeGreaterThan(5);
  });
});

describe("slotOf", () => {
  it.each([
    ["{cola:batch}:procesar", "cola:batch"],
    ["plain:key", "plain:key"],
    ["a{}b", "a{}b"],
  ])("of %j is the slot of %j", (key, hashed) => {
    expect(slotOf(key)).toBe(calculateSlot(hashed));
  });

  it("cannot tell keys whose first braces are empty and leaves them to Redis", () => {
    expect(slotOf("{}{a}x")).toBeUndefined();
  });
});

describe("groupBySlot", () => {
  it("groups names by slot, keeping their order and duplicates", () => {
    const names = ["{a}1", "{b}1", "{a}2", "{a}1", "plain"];

    const groups = groupBySlot(names);

    expect(groups).toEqual([["{a}1", "{a}2", "{a}1"], ["{b}1"], ["plain"]]);
    for (const group of groups) {
      expect(new Set(group.map((name) => calculateSlot(name))).size).toBe(1);
    }
  });

  it("sends a key it cannot place alone", () => {
    expect(groupBySlot(["{}{a}x", "{a}1", "{}{a}y"])).toEqual([
      ["{a}1"],
      ["{}{a}x"],
      ["{}{a}y"],
    ]);
  });
});
