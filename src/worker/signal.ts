/**
 * A tiny wake-up primitive: the fetch loop waits on it and finished tasks,
 * shutdown and timers wake it.
 */
export interface Signal {
  /** Resolves at the next `notify`, or after `ms` if given. */
  wait(ms?: number): Promise<void>;
  /** Wakes every waiter. */
  notify(): void;
}

/** Creates a Signal. */
export function createSignal(): Signal {
  let waiters: (() => void)[] = [];
  return {
    wait(ms) {
      return new Promise<void>((resolve) => {
        const timer =
          ms === undefined ? undefined : setTimeout(() => wake(), ms);
        const wake = () => {
          clearTimeout(timer);
          waiters = waiters.filter((waiter) => waiter !== wake);
          resolve();
        };
        waiters.push(wake);
      });
    },
    notify() {
      for (const waiter of [...waiters]) waiter();
    },
  };
}

/** Rejects with `timeoutError()` when `promise` has not settled after `ms`. */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  timeoutError: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms`. */
export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
