/**
 * Batches acknowledgements: outcomes that finish close together are written
 * in one request. A batch goes out on the next tick when it is large or
 * nothing else is running; outcomes of slow tasks finishing one by one wait
 * up to ACK_TICK_MS to share a request. So a record's latency stays low
 * while a busy worker spends one round trip on many tasks.
 */
import { randomBytes } from "node:crypto";
import type { Ack, WriteId } from "../queue/index.js";
import { sleep } from "./signal.js";

/** Most acknowledgements written in one request. */
const MAX_BATCH = 256;
/**
 * Batches written at once: while Redis runs one, the worker prepares the
 * next, so the two processes work side by side rather than in turn.
 */
const MAX_WRITES_IN_FLIGHT = 2;
const MAX_RETRY_DELAY_MS = 2000;
/**
 * Longest an outcome waits for others while tasks are still running:
 * short beside a record's expected latency, long beside a database call,
 * so that slow tasks finishing one by one still share their requests.
 */
export const ACK_TICK_MS = 5;

/** Options of `createAckBuffer`. */
export interface AckBufferOptions {
  /**
   * Writes `acks`. `write.id` is new for each batch and the same when that
   * batch is written again after a failure (its reply may have been lost
   * after Redis applied it).
   */
  write(acks: Ack[], write: WriteId): Promise<void>;
  /** Pending outcomes that are written at once, without waiting a tick. */
  flushAt: number;
  /** Most outcomes per request (at most MAX_BATCH). */
  batchSize: number;
  /** True while tasks run that may finish soon (outcomes may wait a tick). */
  isBusy(): boolean;
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
  /**
   * Batches written so far: the next one's `seq`. Ids start with this
   * buffer's own random part, so that a restarted process whose worker id
   * came out the same (one host name, pid 1 in a container, and 24 random
   * bits alike) never sends an id its predecessor applied.
   */
  let writes = 0;
  const idPrefix = randomBytes(8).toString("hex");
  /** `seq` of the writes not answered yet (a few: see MAX_WRITES_IN_FLIGHT). */
  const unanswered: number[] = [];
  /** A flush is due on the next turn of the event loop. */
  let isScheduled = false;
  /** A flush is due when ACK_TICK_MS have passed. */
  let tick: NodeJS.Timeout | undefined;
  /** Batches being written now. */
  let writing = 0;
  const batchSize = Math.max(1, Math.min(options.batchSize, MAX_BATCH));
  let isAbandoned = false;

  const writeWithRetry = async (acks: Ack[]): Promise<boolean> => {
    const seq = writes++;
    unanswered.push(seq);
    try {
      return await attemptUntilWritten(acks, seq);
    } finally {
      unanswered.splice(unanswered.indexOf(seq), 1);
    }
  };

  const attemptUntilWritten = async (
    acks: Ack[],
    seq: number,
  ): Promise<boolean> => {
    const id = `${idPrefix}-${seq}`;
    for (let attempt = 1; !isAbandoned; attempt++) {
      try {
        await options.write(acks, { id, seq, oldest: Math.min(...unanswered) });
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

  /** Arranges the next flush of what is pending, now or on the tick. */
  const schedule = () => {
    if (isScheduled || pending.length === 0) return;
    if (pending.length >= options.flushAt || !options.isBusy()) {
      // Outcomes that finish in this turn of the event loop go out together.
      isScheduled = true;
      setImmediate(flush);
      return;
    }
    tick ??= setTimeout(flush, ACK_TICK_MS);
  };

  /** Writes one batch; then starts the next, if any is waiting. */
  const writeBatch = async (batch: typeof pending) => {
    const acks = batch.map((entry) => entry.ack);
    const isWritten = await writeWithRetry(acks);
    writing--;
    if (!isWritten) return;
    options.onWritten(acks);
    for (const entry of batch) entry.done();
    schedule();
  };

  /** Starts writes of what is pending, up to MAX_WRITES_IN_FLIGHT. */
  const flush = () => {
    clearTimeout(tick);
    tick = undefined;
    isScheduled = false;
    while (
      pending.length > 0 &&
      writing < MAX_WRITES_IN_FLIGHT &&
      !isAbandoned
    ) {
      writing++;
      void writeBatch(pending.splice(0, batchSize));
    }
  };

  return {
    add(ack) {
      return new Promise<void>((resolve) => {
        if (isAbandoned) return;
        pending.push({ ack, done: resolve });
        schedule();
      });
    },
    get size() {
      return pending.length;
    },
    abandon() {
      isAbandoned = true;
      clearTimeout(tick);
      pending = [];
    },
  };
}
