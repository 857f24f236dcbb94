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
  // One promise and one timer: this runs once per task (a race and a
  // finally cost three more promises each time).
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`. */
export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));
