import { describe, expect, it } from "vitest";
import {
  checkThresholds,
  normalizeMessage,
  type QueueStats,
} from "../../../src/queue/index.js";

function statsWith(
  procesar: number,
  fallidas: number,
  oldest: number | null,
): QueueStats {
  return {
    at: "2026-01-01T00:00:00.000Z",
    transport: "tcp 127.0.0.1:6379",
    requests_per_min: 0,
    counts: {
      procesar,
      procesando: 0,
      reintentos: 0,
      programadas: 0,
      procesadas: 0,
      fallidas,
    },
    pause: { paused: false, expires_in_ms: null },
    workers: [],
    today: {
      day: "2026-01-01",
      totals: { procesadas: 0, fallidas: 0, reintentos: 0 },
      by_tipo: {},
    },
    oldest_pending_age_ms: oldest,
    rate: null,
    schedules: [],
  };
}

describe("checkThresholds", () => {
  it("checks only the limits given, in flag order", () => {
    const results = checkThresholds(statsWith(5, 2, 1000), {
      maxFailed: 1,
      maxPending: 10,
    });

    expect(results).toEqual([
      { flag: "--max-pending", value: 5, limit: 10, exceeded: false },
      { flag: "--max-failed", value: 2, limit: 1, exceeded: true },
    ]);
  });

  it("exceeds only strictly above the limit", () => {
    const [pending, oldest] = checkThresholds(statsWith(10, 0, 600_001), {
      maxPending: 10,
      maxOldestMs: 600_000,
    });

    expect(pending?.exceeded).toBe(false);
    expect(oldest?.exceeded).toBe(true);
  });

  it("never fails on an unknown oldest age", () => {
    const [oldest] = checkThresholds(statsWith(3, 0, null), {
      maxOldestMs: 0,
    });

    expect(oldest).toEqual({
      flag: "--max-oldest",
      value: null,
      limit: 0,
      exceeded: false,
    });
  });
});

describe("normalizeMessage", () => {
  it.each([
    [
      "ticket 3f2a9c1b-2c4e-4a7b-9a51-0d8e2f3a4b5c does not exist",
      "ticket <uuid> does not exist",
    ],
    ["timeout after 5000 ms (attempt 3)", "timeout after <n> ms (attempt <n>)"],
    ["no stats for 2024-01-15", "no stats for <date>"],
    ["at 2024-01-15T10:00:00.000Z", "at <date>"],
    ["object deadbeef0123 is locked", "object <hex> is locked"],
    ["first line\nsecond line", "first line"],
    [
      "fecha: is not a real calendar date",
      "fecha: is not a real calendar date",
    ],
  ])("turns %j into %j", (message, normalized) => {
    expect(normalizeMessage(message)).toBe(normalized);
  });

  it("cuts a long message at 200 characters", () => {
    expect(normalizeMessage("x".repeat(500))).toHaveLength(200);
  });
});
