import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedCache } from "./bounded-cache.js";

describe("BoundedCache", () => {
  it("keeps at most its capacity and evicts the oldest entry that was not used since", () => {
    const cache = new BoundedCache<number>(3);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1); // a gets a second chance
    cache.set("d", 4);
    expect(cache.size).toBe(3);
    expect(cache.get("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c"), cache.get("d")]).toEqual([1, 3, 4]);
  });

  it("evicts by weight, never keeps an entry heavier than the capacity, and updates weights on replace", () => {
    const cache = new BoundedCache<string>(10, (value) => value.length);
    cache.set("big", "x".repeat(11));
    expect(cache.get("big")).toBeUndefined();
    cache.set("a", "xxxx");
    cache.set("b", "xxxx");
    expect(cache.weight).toBe(8);
    cache.set("a", "xx");
    expect(cache.weight).toBe(6);
    cache.set("c", "xxxxxx");
    expect(cache.weight).toBeLessThanOrEqual(10);
    expect(cache.get("c")).toBe("xxxxxx");
    cache.delete("c");
    expect(cache.get("c")).toBeUndefined();
  });

  it("property: never over capacity, and a hit always returns the last value set for the key", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(
            fc.constantFrom("get", "set", "delete"),
            fc.integer({ min: 0, max: 30 }),
            fc.integer({ min: 1, max: 25 }),
          ),
        ),
        (capacity, operations) => {
          const cache = new BoundedCache<number>(capacity, (value) => value);
          const last = new Map<string, number>();
          for (const [operation, key, value] of operations) {
            const name = `k${key}`;
            if (operation === "set") {
              cache.set(name, value);
              last.set(name, value);
            } else if (operation === "delete") {
              cache.delete(name);
              last.delete(name);
            } else {
              const got = cache.get(name);
              if (got !== undefined) expect(got).toBe(last.get(name));
            }
            expect(cache.weight).toBeLessThanOrEqual(capacity);
          }
        },
      ),
    );
  });
});
