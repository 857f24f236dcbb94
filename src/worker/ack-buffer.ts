/**
 * Batches acknowledgements: outcomes that finish close together are written
 * in one MULTI, flushed on the next tick, so a record's latency stays low
 * while a busy worker spends one round trip on many tasks.
 */
import type { Ack } from "../queue/index.js";
import { sleep } from "./signal.js";

/** Most acknowledgements written in one transaction. */
const MAX_BATCH = 256;
const MAX_RETRY_DELAY_MS = 2000;

/** Options of `createAckBuffer`. */
export interface AckBufferOptions {
  write(acks: Ack[]): Promise<void>;
  /** Called with each batch once it is durably written. */
  onWritten(acks: Ack[]): void;
  /** Called when a write failed; it is retried until it succeeds. */
  onWriteError(error: unknown, attempt: number): void;
}

/** The buffer; `add` resolves once that acknowledgement is written. */
export interface AckBuffer {
  add(ack: Ack): Promise<void>;
  /** Outcomes not written yet. */
  readonly size: number;
  /** Stops writing: pending outcomes are dropped (their tasks stay claimed). */
  abandon(): void;
}

/** The transport refused a request as too large (RequestTooLargeError). */
function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "too-large";
}

/** Creates an acknowledgement buffer. */
export function createAckBuffer(options: AckBufferOptions): AckBuffer {
  let pending: { ack: Ack; done: () => void }[] = [];
  let isFlushing = false;
  let isAbandoned = false;

  const writeWithRetry = async (acks: Ack[]): Promise<boolean> => {
    for (let attempt = 1; !isAbandoned; attempt++) {
      try {
        await options.write(acks);
        return true;
      } catch (error) {
        if (isTooLarge(error) && acks.length > 1) {
          // A REST endpoint caps the request size: write the halves apart.
          const half = Math.ceil(acks.length / 2);
          return (
            (await writeWithRetry(acks.slice(0, half))) &&
            (await writeWithRetry(acks.slice(half)))
          );
        }
        options.onWriteError(error, attempt);
        await sleep(Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS));
      }
    }
    return false;
  };

  const flush = async () => {
    isFlushing = true;
    while (pending.length > 0 && !isAbandoned) {
      const batch = pending.splice(0, MAX_BATCH);
      const acks = batch.map((entry) => entry.ack);
      if (!(await writeWithRetry(acks))) break;
      options.onWritten(acks);
      for (const entry of batch) entry.done();
    }
    isFlushing = false;
  };

  return {
    add(ack) {
      return new Promise<void>((resolve) => {
        if (isAbandoned) return;
        pending.push({ ack, done: resolve });
        if (!isFlushing) {
          isFlushing = true;
          setImmediate(() => void flush());
        }
      });
    },
    get size() {
      return pending.length;
    },
    abandon() {
      isAbandoned = true;
      pending = [];
    },
  };
}
