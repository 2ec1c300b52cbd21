// BoundedCache: capacity by entries or weight, second-chance eviction (checked against a plain
// reference model by property tests), and queue compaction under long streams of keys.
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
          { maxLength: 400 },
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

  it("property: evicts exactly like second-chance FIFO over a plain list, through queue compactions", () => {
    // The model: entries oldest first; a hit flags an entry; eviction takes the oldest, moving a
    // flagged one to the back once (flag cleared) per pass instead of dropping it.
    type Entry = { key: string; weight: number; used: boolean };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.tuple(
            fc.constantFrom("get", "set", "set", "delete"),
            fc.integer({ min: 0, max: 40 }),
            fc.integer({ min: 1, max: 6 }),
          ),
          { minLength: 200, maxLength: 600 },
        ),
        (capacity, operations) => {
          const cache = new BoundedCache<number>(capacity, (value) => value);
          let model: Entry[] = [];
          const modelWeight = () => model.reduce((sum, entry) => sum + entry.weight, 0);
          for (const [operation, key, value] of operations) {
            const name = `k${key}`;
            const index = model.findIndex((entry) => entry.key === name);
            if (operation === "get") {
              cache.get(name);
              if (index >= 0) (model[index] as Entry).used = true;
            } else if (operation === "delete") {
              cache.delete(name);
              if (index >= 0) model.splice(index, 1);
            } else {
              cache.set(name, value);
              if (value > capacity) {
                if (index >= 0) model.splice(index, 1);
              } else {
                if (index >= 0) Object.assign(model[index] as Entry, { weight: value, used: true });
                else model.push({ key: name, weight: value, used: false });
                let spared = 0;
                while (modelWeight() > capacity) {
                  const oldest = model.shift() as Entry;
                  if (oldest.used && spared < model.length + 1) {
                    oldest.used = false;
                    model.push(oldest);
                    spared++;
                  }
                }
              }
            }
            const kept = model.map((entry) => entry.key).sort();
            const inCache = Array.from({ length: 41 }, (_, k) => `k${k}`).filter((k) => cache.has(k));
            expect(inCache.sort()).toEqual(kept);
            expect(cache.weight).toBe(modelWeight());
          }
          model = [];
        },
      ),
    );
  });

  it("keeps the newest entries through a long stream of one-off keys", () => {
    const cache = new BoundedCache<number>(100);
    for (let index = 0; index < 100_000; index++) cache.set(`line ${index}`, index);
    expect(cache.size).toBe(100);
    expect(cache.get("line 99999")).toBe(99_999);
    expect(cache.get("line 99900")).toBe(99_900);
    expect(cache.get("line 99899")).toBeUndefined();
  });

  it("keeps its eviction order through many deletes without evictions (queue compaction)", () => {
    const cache = new BoundedCache<number>(10, (value) => value);
    cache.set("a", 3);
    cache.set("b", 3);
    cache.set("c", 3);
    cache.get("a");
    cache.set("d", 3); // a is spared (moved to the back), b is evicted
    expect(["a", "b", "c", "d"].map((key) => cache.has(key))).toEqual([true, false, true, true]);
    for (let round = 0; round < 200; round++) {
      cache.set(`one-off ${round}`, 1);
      cache.delete(`one-off ${round}`);
    }
    expect(cache.size).toBe(3);
    cache.set("e", 3); // oldest now: c (a went to the back and lost its flag)
    expect(["a", "c", "d", "e"].map((key) => cache.has(key))).toEqual([true, false, true, true]);
    expect(cache.weight).toBe(9);
  });
});
