/**
 * What the worker is doing, as told by its events: started, stopping,
 * tasks in flight, and when the fetch loop last showed it is alive. Metrics
 * and readiness read it; the worker itself never calls it.
 */
import type { TypedEmitter, WorkerEvents } from "../../common/events.js";

/** The state the events describe. */
export interface WorkerMonitor {
  readonly isStarted: boolean;
  readonly isStopping: boolean;
  /** Claimed tasks whose outcome is not written yet. */
  readonly inFlight: number;
  /** `--concurrency`, once started; 0 before. */
  readonly concurrency: number;
  /**
   * Epoch ms of the last sign of a live fetch loop: a claim, an outcome, an
   * empty wait or a paused check. Undefined before the start.
   */
  readonly lastActivityAt: number | undefined;
}

/** Follows `events` from now on. */
export function createWorkerMonitor(
  events: TypedEmitter<WorkerEvents>,
): WorkerMonitor {
  const state = {
    isStarted: false,
    isStopping: false,
    inFlight: 0,
    concurrency: 0,
    lastActivityAt: undefined as number | undefined,
  };
  const touch = () => (state.lastActivityAt = Date.now());

  events.on("worker:started", ({ concurrency }) => {
    state.isStarted = true;
    state.concurrency = concurrency;
    touch();
  });
  events.on("worker:idle", touch);
  events.on("task:claimed", ({ count }) => {
    state.inFlight += count;
    touch();
  });
  events.on("task:finished", () => {
    state.inFlight = Math.max(0, state.inFlight - 1);
    touch();
  });
  events.on("worker:stopping", () => (state.isStopping = true));
  events.on("worker:stopped", () => (state.inFlight = 0));
  return state;
}
