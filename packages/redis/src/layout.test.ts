import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyLayout } from "./layout.js";

const layout = keyLayout("ctx:", "acme");

/** The hash tag Redis Cluster hashes: between the first "{" and the next "}". */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  return key.slice(open + 1, key.indexOf("}", open + 1));
}

describe("key layout", () => {
  it("percent-encodes only what would break the hash tag or the entity:key split", () => {
    expect(layout.entityKey("user", "userId=u1")).toBe("ctx:acme:{user:userId=u1}");
    expect(layout.entityKey("user", "a{b}c%d:e")).toBe("ctx:acme:{user:a%7Bb%7Dc%25d:e}");
    expect(layout.entityKey("us:er", "k")).toBe("ctx:acme:{us%3Aer:k}");
  });

  it("property: the hash tag covers exactly entity:key, and decodes back to them", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "=", "%", "{", "}", ":", "é", " "), maxLength: 12 });
    fc.assert(
      fc.property(part, part, (entity, key) => {
        const redisKey = layout.entityKey(entity, key);
        expect(redisKey.endsWith("}")).toBe(true);
        const tag = hashTag(redisKey);
        expect(`ctx:acme:{${tag}}`).toBe(redisKey);
        const colon = tag.indexOf(":");
        expect(decodeURIComponent(tag.slice(0, colon))).toBe(entity);
        expect(decodeURIComponent(tag.slice(colon + 1))).toBe(key);
      }),
      { numRuns: 2_000 },
    );
  });
});
