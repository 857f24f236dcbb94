/**
 * How many tasks a worker holds claimed at once. Beyond --concurrency, the
 * extra ones wait in the worker (and in its in-flight list, so a stop or a
 * crash returns them to the queue): a slot whose task finished starts the
 * next one at once instead of waiting for a claim, and one batch's
 * acknowledgement and the next claim travel while other tasks run. Worth it
 * only for short tasks: behind a long one, a task claimed ahead waits where
 * another worker could have run it at once.
 */

/** Tasks claimed at once by a worker of short tasks, per --concurrency. */
export const CLAIM_AHEAD_FACTOR = 2;
/** Tasks are short while their handlers take less than this on average. */
export const CLAIM_AHEAD_MAX_TASK_MS = 100;
/** Weight of the newest duration in the running average. */
const NEWEST_WEIGHT = 0.1;

/** The claim policy of one worker. */
export interface ClaimAhead {
  /** Takes in how long one handler took. */
  observe(durationMs: number): void;
  /**
   * Most tasks to hold claimed and not yet acknowledged: --concurrency
   * until a task has finished and while they are long, more when short.
   */
  capacity(): number;
}

/** Creates the policy for a worker of `concurrency` slots. */
export function createClaimAhead(concurrency: number): ClaimAhead {
  let averageMs: number | undefined;
  return {
    observe(durationMs) {
      averageMs =
        averageMs === undefined
          ? durationMs
          : averageMs + (durationMs - averageMs) * NEWEST_WEIGHT;
    },
    capacity() {
      const isShort =
        averageMs !== undefined && averageMs < CLAIM_AHEAD_MAX_TASK_MS;
      return isShort ? concurrency * CLAIM_AHEAD_FACTOR : concurrency;
    },
  };
}
