/**
 * Bookkeeping for tests that take Redis or PostgreSQL away from a running
 * worker: a timeline of its events, whether run() settled, and how many
 * times each task id was recorded.
 */
import type { WorkerEvents } from "../../src/common/events.js";
import type { Worker, WorkerTotals } from "../../src/worker/index.js";

/** One worker event with the time it was emitted (epoch ms). */
export interface TimedEvent {
  at: number;
  name: keyof WorkerEvents;
  payload: WorkerEvents[keyof WorkerEvents];
}

const EVENT_NAMES: (keyof WorkerEvents)[] = [
  "worker:started",
  "task:claimed",
  "task:finished",
  "worker:recovered",
  "queue:promoted",
  "connection:lost",
  "connection:restored",
  "worker:stopping",
  "worker:stopped",
];

/** Records every event of `worker` in order. */
export function recordEvents(worker: Worker): TimedEvent[] {
  const events: TimedEvent[] = [];
  for (const name of EVENT_NAMES) {
    worker.events.on(name, (payload) =>
      events.push({ at: Date.now(), name, payload }),
    );
  }
  return events;
}

/** Connection events of one service, in order, as `lost`/`restored`. */
export function connectionEvents(
  events: TimedEvent[],
  service: "redis" | "postgres",
): { at: number; kind: "lost" | "restored"; reason?: string }[] {
  return events.flatMap((event) => {
    if (
      event.name !== "connection:lost" &&
      event.name !== "connection:restored"
    ) {
      return [];
    }
    const payload = event.payload as { service: string; reason?: string };
    if (payload.service !== service) return [];
    const kind = event.name === "connection:lost" ? "lost" : "restored";
    return [{ at: event.at, kind, reason: payload.reason }];
  });
}

/** A worker's run() watched without awaiting it. */
export interface WatchedRun {
  readonly settled: boolean;
  readonly error: unknown;
  /** Resolves with the totals; rejects as run() did. */
  promise: Promise<WorkerTotals>;
}

/** Starts `worker.run()` and remembers whether and how it settled. */
export function watchRun(worker: Worker): WatchedRun {
  const state = { settled: false, error: undefined as unknown };
  const promise = worker.run().then(
    (totals) => {
      state.settled = true;
      return totals;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
      throw error;
    },
  );
  // The test awaits it later; keep an early rejection from going unhandled.
  promise.catch(() => undefined);
  return {
    get settled() {
      return state.settled;
    },
    get error() {
      return state.error;
    },
    promise,
  };
}

/** How often each expected id occurs among records, and what else occurs. */
export interface Tally {
  missing: string[];
  /** id -> occurrences, for ids recorded more than once. */
  duplicates: Record<string, number>;
  unexpected: string[];
}

/** Compares record ids with the ids that were enqueued. */
export function tally(expected: string[], records: { id: string }[]): Tally {
  const counts = new Map<string, number>();
  for (const { id } of records) counts.set(id, (counts.get(id) ?? 0) + 1);
  const wanted = new Set(expected);
  const duplicates: Record<string, number> = {};
  for (const [id, n] of counts) if (n > 1 && wanted.has(id)) duplicates[id] = n;
  return {
    missing: expected.filter((id) => !counts.has(id)),
    duplicates,
    unexpected: [...counts.keys()].filter((id) => !wanted.has(id)),
  };
}

/** Resolves after `ms`. */
export const pause = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
