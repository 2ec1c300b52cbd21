// The first requests of a process can arrive while the tokenizer's ranks are still loading (started by
// createContextStore; 0.6-2 s for o200k_base). Such a request waits for them within its own
// deadline: the wait is part of its time, like any lookup. When the ranks are not loaded by the
// deadline, it fails with CTX_TIMEOUT instead of answering late; servers avoid that by calling
// `await ctx.ready()` before they take traffic.
import { CtxError } from "../errors.js";
import { DEADLINE, type RequestDeadline, raceDeadline } from "../resolve/deadline.js";

/** Waits for the tokenizer within the deadline; returns how long it waited (ms). */
export async function waitForTokenizer(options: {
  readonly untilReady: () => Promise<void>;
  readonly deadline: RequestDeadline;
  readonly deadlineMs: number;
  readonly startedAt: number;
  readonly encoding: string;
  /** The caller's own signal: when it aborts, the assembly rejects with its reason. */
  readonly signal: AbortSignal | undefined;
}): Promise<number> {
  const { deadline } = options;
  const waitStarted = performance.now();
  const outcome = await raceDeadline(options.untilReady(), deadline.at - waitStarted, deadline.signal);
  if (outcome !== DEADLINE) return performance.now() - waitStarted;
  options.signal?.throwIfAborted();
  const elapsedMs = performance.now() - options.startedAt;
  throw new CtxError(
    "CTX_TIMEOUT",
    `The ${options.encoding} tokenizer was still loading when the request deadline of ${options.deadlineMs}ms ran out (it loads once per process); nothing was assembled. Call \`await ctx.ready()\` at start-up, before the server takes requests, or retry.`,
    { deadlineMs: options.deadlineMs, elapsedMs, waitingFor: "tokenizer", encoding: options.encoding },
  );
}
