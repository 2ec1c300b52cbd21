// Per-session rate limiting for routes the browser calls on its own (session events). A token
// bucket per subject: a burst of up to `limit` is allowed, refilled evenly over `window`. The
// in-memory limiter is per process; behind several instances, pass a shared `RateLimiter` instead.
import { CtxError, type Duration, parseDuration } from "@ctxstore/core";

/** One rate-limit decision: allowed or not, whole tokens left, and the wait (ms) before a retry can pass. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** When not allowed: how long until `cost` tokens are available again. 0 when allowed. */
  readonly retryAfterMs: number;
}

/** Anything that can rate-limit by subject: the in-memory bucket below, or your own over Redis. */
export interface RateLimiter {
  /** Takes `cost` tokens from `subject`'s bucket when it has them; says whether it did. */
  take(subject: string, cost: number): RateDecision | Promise<RateDecision>;
}

/**
 * Options of `memoryRateLimiter`: bucket size (`limit`), refill time (`window`), how many subjects are
 * kept, and a clock.
 */
export interface MemoryRateLimiterOptions {
  /** Bucket size: the largest burst, and the count allowed per `window` at a steady rate. */
  limit: number;
  /** Time to refill a whole bucket, e.g. "1m". */
  window: Duration;
  /** Buckets kept (least recently used are forgotten first). Default 10,000. */
  maxSubjects?: number;
  /** Clock (epoch ms); tests fix it. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * An in-process token-bucket rate limiter per subject: bursts of up to `limit`, refilled evenly over
 * `window`. Per process: behind several instances, pass a shared `RateLimiter`. Throws `CTX_CONFIG`
 * for a `limit` that is not a positive integer, `CTX_INVALID_DURATION` for a bad `window`.
 */
export function memoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const { limit } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new CtxError(
      "CTX_CONFIG",
      `memoryRateLimiter: \`limit\` must be a positive integer; got ${String(limit)}.`,
      { limit },
    );
  }
  const windowMs = parseDuration(options.window, "memoryRateLimiter window");
  const maxSubjects = options.maxSubjects ?? 10_000;
  const now = options.now ?? Date.now;
  const refillPerMs = limit / windowMs;
  // A Map iterates in insertion order: re-inserting on every use keeps the least recently used first.
  const buckets = new Map<string, Bucket>();

  return {
    take(subject, cost) {
      if (!Number.isFinite(cost) || cost < 0)
        throw new CtxError(
          "CTX_CONFIG",
          `rate limiter: cost must be a non-negative number; got ${String(cost)}.`,
        );
      const at = now();
      const bucket = buckets.get(subject) ?? { tokens: limit, updatedAt: at };
      buckets.delete(subject);
      bucket.tokens = Math.min(limit, bucket.tokens + Math.max(0, at - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = Math.max(bucket.updatedAt, at);
      let decision: RateDecision;
      if (cost <= bucket.tokens) {
        bucket.tokens -= cost;
        decision = { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
      } else {
        // A cost above the bucket size can never pass; say so with a full window rather than forever.
        const missing = Math.min(cost, limit) - bucket.tokens;
        decision = {
          allowed: false,
          remaining: Math.floor(bucket.tokens),
          retryAfterMs: Math.max(1, Math.ceil(missing / refillPerMs)),
        };
      }
      buckets.set(subject, bucket);
      if (buckets.size > maxSubjects) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      return decision;
    },
  };
}
