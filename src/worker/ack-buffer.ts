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
  /** Writes a batch; returns the acknowledgements that were recorded. */
  write(acks: Ack[]): Promise<Ack[]>;
  /** Called with what `write` recorded, once it is durably written. */
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

  /** The recorded acknowledgements, or undefined once abandoned. */
  const writeWithRetry = async (acks: Ack[]): Promise<Ack[] | undefined> => {
    for (let attempt = 1; !isAbandoned; attempt++) {
      try {
        return await options.write(acks);
      } catch (error) {
        if (isTooLarge(error) && acks.length > 1) {
          // A REST endpoint caps the request size: write the halves apart.
          const half = Math.ceil(acks.length / 2);
          const first = await writeWithRetry(acks.slice(0, half));
          const second = first && (await writeWithRetry(acks.slice(half)));
          return second && [...first, ...second];
        }
        options.onWriteError(error, attempt);
        await sleep(Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS));
      }
    }
    return undefined;
  };

  const flush = async () => {
    isFlushing = true;
    while (pending.length > 0 && !isAbandoned) {
      const batch = pending.splice(0, MAX_BATCH);
      const written = await writeWithRetry(batch.map((entry) => entry.ack));
      if (!written) break;
      options.onWritten(written);
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
