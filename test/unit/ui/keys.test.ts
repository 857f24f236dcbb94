import { describe, expect, it } from "vitest";
import { helpLines } from "../../../src/ui/HelpView.js";
import {
  commandFor,
  hintLine,
  KEY_BINDINGS,
  keyLabel,
  type View,
} from "../../../src/ui/keys.js";

const VIEWS: View[] = ["list", "detail", "groups", "help"];

describe("key bindings", () => {
  it("gives every command a key, a description and a view", () => {
    for (const binding of KEY_BINDINGS) {
      expect(binding.keys.length, binding.id).toBeGreaterThan(0);
      expect(binding.description.length, binding.id).toBeGreaterThan(3);
      expect(binding.views.length, binding.id).toBeGreaterThan(0);
    }
  });

  it("never gives one key two commands in the same view", () => {
    for (const view of VIEWS) {
      const seen = new Map<string, string>();
      for (const binding of KEY_BINDINGS.filter((b) =>
        b.views.includes(view),
      )) {
        for (const key of binding.keys) {
          expect(seen.get(key), `${view}: ${key}`).toBeUndefined();
          seen.set(key, binding.id);
        }
      }
    }
  });

  it("asks before every action on many tasks, which use capitals", () => {
    for (const binding of KEY_BINDINGS.filter(
      (b) => b.group === "Act on many",
    )) {
      expect(binding.isConfirmed, binding.id).toBe(true);
      expect(
        binding.keys.every((k) => /^[A-Z]$/.test(k)),
        binding.id,
      ).toBe(true);
    }
  });

  it.each([
    ["list", "r", "task.retry"],
    ["list", "R", "tasks.retryShown"],
    ["groups", "R", "group.retry"],
    ["detail", "escape", "view.back"],
    ["list", "6", "list.pick"],
    ["help", "e", undefined],
  ] as const)("in %s, %s means %s", (view, key, id) => {
    expect(commandFor(view, key)?.id).toBe(id);
  });

  it("builds the help from the table: every binding appears", () => {
    const help = helpLines(false).join("\n");
    for (const binding of KEY_BINDINGS) {
      expect(help).toContain(`${keyLabel(binding)}`);
      expect(help).toContain(binding.description);
    }
  });

  it("marks actions off in read-only help and drops them from hints", () => {
    expect(
      helpLines(true).filter((l) => l.includes("(off: --read-only)")).length,
    ).toBe(KEY_BINDINGS.filter((b) => b.isAction).length);
    expect(hintLine("list", true)).not.toContain("enqueue");
    expect(hintLine("list", false)).toContain("e enqueue");
  });

  it("fits the hint line in the width and keeps help and quit", () => {
    for (const width of [40, 60, 80]) {
      const line = hintLine("list", false, width);
      expect(line.length).toBeLessThanOrEqual(width);
      expect(line).toMatch(/\? help {2}q quit$/);
    }
  });
});
