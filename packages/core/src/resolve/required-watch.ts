// Fail fast on required context. As soon as any lookup phase reports a required source that is not
// a fact (missing, error, timeout, ...), the assembly cannot succeed: the watch then fails it with
// CTX_REQUIRED_UNAVAILABLE and aborts the lookups still running (resolvers see their signal fire),
// instead of waiting for them only to throw the same error at the end.
//
// The failure is raised one macrotask after the first required failure is seen, so that others
// known by then (an in-memory read, a resolver that threw synchronously) are named in the same
// error, as the end-of-assembly check would name them.
import { isFact } from "../envelope.js";
import type { CtxError } from "../errors.js";
import type { Resolution } from "./resolution.js";
import { requiredUnavailable } from "./unavailable-policies.js";

export interface RequiredWatch {
  /** Aborts when `parent` does, or when a required source was found unavailable. */
  readonly signal: AbortSignal;
  /** Rejects with CTX_REQUIRED_UNAVAILABLE when a required source is found unavailable; never resolves. */
  readonly failure: Promise<never>;
  /** Looks at resolutions as a phase (or one realtime lookup) produces them. */
  observe(resolutions: readonly Resolution[]): void;
  /** Stops the watch (the assembly is over): a failure not yet raised is left to the policies. */
  release(): void;
}

export function watchRequired(parent: AbortSignal): RequiredWatch {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onParentAbort, { once: true });
  let fail: (error: CtxError) => void = () => {};
  const failure = new Promise<never>((_resolve, reject) => {
    fail = reject;
  });
  failure.catch(() => {}); // raced, not always awaited
  const failed: Resolution[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let over = false;
  return {
    signal: controller.signal,
    failure,
    observe(resolutions) {
      if (over) return;
      for (const resolution of resolutions)
        if (resolution.source.required && !isFact(resolution.status)) failed.push(resolution);
      if (failed.length === 0 || timer !== undefined) return;
      timer = setTimeout(() => {
        over = true;
        const error = requiredUnavailable(failed);
        controller.abort(error);
        fail(error);
      }, 0);
    },
    release() {
      over = true;
      clearTimeout(timer);
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}
