import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryRateLimiter } from "./rate-limit.js";

describe("memoryRateLimiter", () => {
  it("allows a burst up to the limit, then refuses with the time until enough tokens are back", () => {
    let now = 0;
    const limiter = memoryRateLimiter({ limit: 5, window: "10s", now: () => now });
    for (let index = 0; index < 5; index++) expect(limiter.take("s1", 1)).toMatchObject({ allowed: true });
    const refused = limiter.take("s1", 1) as { allowed: boolean; retryAfterMs: number };
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBe(2000);
    now += refused.retryAfterMs;
    expect(limiter.take("s1", 1)).toMatchObject({ allowed: true });
  });

  it("keeps subjects apart", () => {
    const limiter = memoryRateLimiter({ limit: 1, window: "1m", now: () => 0 });
    expect(limiter.take("s1", 1)).toMatchObject({ allowed: true });
    expect(limiter.take("s1", 1)).toMatchObject({ allowed: false });
    expect(limiter.take("s2", 1)).toMatchObject({ allowed: true });
  });

  it("never allows a cost larger than the bucket", () => {
    const limiter = memoryRateLimiter({ limit: 3, window: "1s", now: () => 0 });
    const decision = limiter.take("s1", 4) as { allowed: boolean; retryAfterMs: number };
    expect(decision.allowed).toBe(false);
    expect(decision.retryAfterMs).toBeGreaterThan(0);
  });

  it("forgets the least recently used subject beyond maxSubjects", () => {
    const limiter = memoryRateLimiter({ limit: 1, window: "1h", maxSubjects: 2, now: () => 0 });
    limiter.take("a", 1);
    limiter.take("b", 1);
    limiter.take("a", 0); // touch a: b is now the least recently used
    limiter.take("c", 1); // evicts b
    expect(limiter.take("a", 1)).toMatchObject({ allowed: false });
    expect(limiter.take("b", 1)).toMatchObject({ allowed: true });
  });

  it("rejects a bad configuration with a typed error", () => {
    expect(() => memoryRateLimiter({ limit: 0, window: "1s" })).toThrow(/CTX_CONFIG/);
    expect(() => memoryRateLimiter({ limit: 2, window: "soon" as never })).toThrow(/CTX_INVALID_DURATION/);
  });

  it("never lets more than limit + refill through in any time interval", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 5000 }),
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 2000 }), cost: fc.integer({ min: 0, max: 6 }) }),
          { maxLength: 120 },
        ),
        (limit, windowMs, takes) => {
          let now = 0;
          const limiter = memoryRateLimiter({ limit, window: windowMs, now: () => now });
          const allowed: { at: number; cost: number }[] = [];
          for (const { gap, cost } of takes) {
            now += gap;
            const decision = limiter.take("s", cost) as { allowed: boolean };
            if (decision.allowed) allowed.push({ at: now, cost });
          }
          for (let start = 0; start < allowed.length; start++) {
            let total = 0;
            for (let end = start; end < allowed.length; end++) {
              const last = allowed[end] as { at: number; cost: number };
              total += last.cost;
              const elapsed = last.at - (allowed[start] as { at: number }).at;
              expect(total).toBeLessThanOrEqual(limit + (elapsed * limit) / windowMs + 1e-9);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
