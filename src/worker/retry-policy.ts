/**
 * Exponential backoff with full jitter: the delay before attempt n+1 is
 * uniform in [0, min(max, base * 2^(n-1))].
 */

/** Options of the retry policy (flags of `batchctl work`). */
export interface RetryPolicy {
  /** Attempts in all, the first included (`--max-attempts`). */
  maxAttempts: number;
  /** Backoff base in ms (`--retry-base`). */
  baseMs: number;
  /** Longest backoff in ms (`--retry-max`). */
  maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseMs: 1000,
  maxMs: 5 * 60 * 1000,
};

/** True when a task that failed on attempt `attempt` may run again. */
export function mayRetry(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.maxAttempts;
}

/** Delay in ms before the attempt after `attempt` (1-based). */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(attempt - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
