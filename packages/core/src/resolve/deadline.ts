// The request deadline: one budget of time for the whole assembly. Every lookup (the online read,
// each realtime resolver, each vector search) races its remaining share, and all of them are
// signalled to stop when it is spent, so a slow source costs its own value, never the request.

/** What `raceDeadline` resolves with when the time ran out (or the signal fired) first. */
export const DEADLINE: unique symbol = Symbol("deadline");

/** Resolves with the promise's value, or DEADLINE after `waitMs` / when `signal` aborts. */
export function raceDeadline<T>(
  promise: Promise<T>,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<T | typeof DEADLINE> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      resolve(DEADLINE);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(DEADLINE);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(DEADLINE);
      },
      Math.max(0, waitMs),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export interface RequestDeadline {
  /** `performance.now()` time at which the request's time is spent. */
  readonly at: number;
  /** Aborts when the deadline passes or the caller's signal aborts. */
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the caller's signal; call once the assembly is over. */
  release(): void;
}

/**
 * Starts the request's deadline: `deadlineMs` after `startedAt` (a `performance.now()` time), or
 * sooner when the caller's `signal` aborts.
 */
export function startDeadline(options: {
  readonly startedAt: number;
  readonly deadlineMs: number;
  readonly signal: AbortSignal | undefined;
}): RequestDeadline {
  const { deadlineMs, signal } = options;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`request deadline of ${deadlineMs}ms reached`)),
    deadlineMs,
  );
  const onOuterAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onOuterAbort, { once: true });
  return {
    at: options.startedAt + deadlineMs,
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onOuterAbort);
    },
  };
}
