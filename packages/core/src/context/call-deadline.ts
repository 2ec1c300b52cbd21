// A per-call bound for writes, appends and heartbeats: a request path that writes (the events route,
// an app writing on behalf of a request) must not outlive the request. The call gets one signal,
// aborted at its `deadline` or when the caller's `signal` aborts, which the online store uses to stop
// waiting; the call is also raced against it here, so a store that ignores signals cannot overshoot.
// Once sent, a write cannot be called back: past the deadline it may or may not have been applied.
import type { Duration } from "../definitions/duration.js";
import { parseDuration } from "../definitions/duration.js";
import { CtxError } from "../errors.js";

/** How long one write, append or heartbeat may take. */
export interface CallDeadlineOptions {
  /**
   * Longest this call may take ("250ms" or milliseconds), e.g. the request's remaining time. At the
   * deadline it rejects with `CTX_TIMEOUT`; what was already sent may or may not have been applied.
   * Default: none (the store's own write timeout applies).
   */
  deadline?: Duration | undefined;
  /** Abandons the call when it aborts (a request's `signal`), with the same outcome as the deadline. */
  signal?: AbortSignal | undefined;
}

const RETRY =
  "Sending it again is safe: values are last-write-wins by event time and events dedupe by event id.";

/**
 * Runs `work` with a signal for the online store, bounded by `options.deadline` and `options.signal`
 * (`what` names the call in errors: `ctx.write(profile)`). Without either, `work` runs unbounded.
 */
export async function withCallDeadline<T>(
  what: string,
  options: CallDeadlineOptions | undefined,
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const outer = options?.signal;
  const deadlineMs =
    options?.deadline === undefined ? undefined : parseDuration(options.deadline, `${what}: deadline`);
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new CtxError("CTX_INVALID_REQUEST", `${what}: signal must be an AbortSignal.`, {});
  }
  if (deadlineMs === undefined && outer === undefined) return work(undefined);
  if (outer?.aborted) {
    throw new CtxError(
      "CTX_TIMEOUT",
      `${what} was not sent: the caller's signal had already aborted. Nothing was applied.`,
      {},
      { cause: outer.reason },
    );
  }
  const controller = new AbortController();
  const timer =
    deadlineMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new CtxError(
                "CTX_TIMEOUT",
                `${what} did not finish within its deadline of ${deadlineMs}ms, so it may or may not have been applied. ${RETRY}`,
                { deadlineMs },
              ),
            ),
          deadlineMs,
        );
  const onOuterAbort = () =>
    controller.abort(
      new CtxError(
        "CTX_TIMEOUT",
        `${what} was abandoned: the caller's signal aborted, so it may or may not have been applied. ${RETRY}`,
        {},
        { cause: outer?.reason },
      ),
    );
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = controller.signal;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), aborted]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
    if (onAbort) signal.removeEventListener("abort", onAbort);
    // The race settled; a late abort must not surface as an unhandled rejection.
    aborted.catch(() => undefined);
  }
}
