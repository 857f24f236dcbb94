/**
 * The event map shared by the worker and whoever watches it (logs, tests,
 * metrics). Names follow `scope:subject:phase`.
 */
import { EventEmitter } from "node:events";
import type { TaskRecord } from "../queue/records.js";

export interface WorkerEvents {
  /** The worker registered itself and starts fetching. */
  "worker:started": { worker: string; concurrency: number };
  /**
   * The fetch loop waited and found nothing to claim (`empty`), or the
   * queue is paused (`paused`): it is alive, with nothing to do. About once
   * per blocking wait or poll.
   */
  "worker:idle": { worker: string; reason: "empty" | "paused" };
  /** Tasks moved into this worker's in-flight list. */
  "task:claimed": { worker: string; count: number };
  /** A task's outcome was written to Redis (record, retry or both). */
  "task:finished": {
    record: TaskRecord;
    outcome: "procesada" | "fallida" | "reintento";
    /** When the task will run again, for `reintento`. */
    retryAt?: number;
  };
  /** Tasks of a dead worker returned to the queue. */
  "worker:recovered": { worker: string; dead: string; count: number };
  /** Due retries or scheduled tasks moved back to the queue. */
  "queue:promoted": { count: number };
  /** Redis or PostgreSQL stopped answering; the worker waits. */
  "connection:lost": { service: "redis" | "postgres"; reason: string };
  /** The service answers again. */
  "connection:restored": { service: "redis" | "postgres" };
  /** Shutdown began: no more fetching. */
  "worker:stopping": { reason: string; inFlight: number };
  /**
   * A schedule's tick came: `enqueued` when this worker queued its task,
   * `duplicate` when another worker had, `failed` when Redis did not
   * answer in time, `missed` when the worker woke too late for it.
   */
  "schedule:tick": {
    name: string;
    tick: string;
    result: "enqueued" | "duplicate" | "failed" | "missed";
  };
  /** Everything is cleaned up; `returned` tasks went back to the queue. */
  "worker:stopped": { returned: number };
}

type Listener<T> = (payload: T) => void;

/** An EventEmitter typed by an event map. */
export class TypedEmitter<Events extends object> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof Events & string>(name: K, fn: Listener<Events[K]>): this {
    this.emitter.on(name, fn);
    return this;
  }

  off<K extends keyof Events & string>(name: K, fn: Listener<Events[K]>): this {
    this.emitter.off(name, fn);
    return this;
  }

  emit<K extends keyof Events & string>(name: K, payload: Events[K]): void {
    this.emitter.emit(name, payload);
  }
}
