import { getHeapSpaceStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { createHeldEntries } from "../../../src/worker/held-entries.js";

describe("held entries", () => {
  it("gives each claimed task a slot that names its entry", () => {
    const held = createHeldEntries();
    const a = held.hold("task a");
    const b = held.hold("task b");
    expect(a).not.toBe(b);
    expect(held.entry(a)).toBe("task a");
    expect(held.entry(b)).toBe("task b");
  });

  it("counts an entry held twice twice, and once after one release", () => {
    // The same text claimed twice (two producers queued identical tasks)
    // is two entries of the in-flight list, owned by two tasks.
    const held = createHeldEntries();
    const first = held.hold("same");
    held.hold("same");
    held.hold("other");
    expect(held.counts()).toEqual(
      new Map([
        ["same", 2],
        ["other", 1],
      ]),
    );
    held.release(first);
    expect(held.counts()).toEqual(
      new Map([
        ["same", 1],
        ["other", 1],
      ]),
    );
  });

  it("reuses freed slots instead of growing", () => {
    const held = createHeldEntries();
    const slots = new Set<number>();
    const live: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const slot = held.hold(`task ${i}`);
      slots.add(slot);
      live.push(slot);
      if (live.length > 100) held.release(live.shift() as number);
    }
    // At most 101 held at once: the slots never numbered more.
    expect(slots.size).toBe(101);
    expect(held.counts().size).toBe(100);
  });

  it("ignores a second release of a slot and refuses to read a freed one", () => {
    const held = createHeldEntries();
    const slot = held.hold("x");
    held.release(slot);
    held.release(slot);
    expect(() => held.entry(slot)).toThrow(/holds no entry/);
    // Freed once, handed out once: two holds get two slots.
    expect(held.hold("y")).toBe(slot);
    expect(held.hold("z")).not.toBe(slot);
  });

  it("does not grow the old generation as tasks come and go", () => {
    // A Map that lived this long rebuilt its table in the old generation
    // every few dozen tasks: about 50 bytes per task there. Strings made
    // before the measurement, so that only the bookkeeping counts.
    const oldSpace = () =>
      getHeapSpaceStatistics().find((s) => s.space_name === "old_space")
        ?.space_used_size ?? 0;
    const raws = Array.from({ length: 50_000 }, (_, i) => `task ${i}`);
    const held = createHeldEntries();
    const live: number[] = [];
    const churn = (count: number) => {
      for (let i = 0; i < count; i++) {
        live.push(held.hold(raws[i] as string));
        if (live.length > 64) held.release(live.shift() as number);
      }
    };
    churn(1_000); // the arrays reach their size
    // Survive two young collections, as a worker's bookkeeping does.
    for (let i = 0; i < 200; i++) void new Array(100_000).fill(i);
    const before = oldSpace();
    churn(raws.length);
    expect(oldSpace() - before).toBeLessThan(raws.length * 5);
  });
});
