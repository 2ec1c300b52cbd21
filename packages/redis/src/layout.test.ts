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

  it("puts a request tenant inside the hash tag, so one tenant's entity is one Cluster slot", () => {
    expect(layout.entityKey("user", "userId=u1", "globex")).toBe("ctx:acme:{%tglobex:user:userId=u1}");
    expect(layout.entityKey("user", "k", "a:b{c}")).toBe("ctx:acme:{%ta%3Ab%7Bc%7D:user:k}");
  });

  it("property: (tenant, entity, key) and tenant-less (entity, key) never share a Redis key", () => {
    const part = fc.string({
      unit: fc.constantFrom("a", "t", "%", "{", "}", ":", "=", " "),
      minLength: 1,
      maxLength: 8,
    });
    const address = fc.record({ tenant: fc.option(part, { nil: undefined }), entity: part, key: part });
    fc.assert(
      fc.property(address, address, (left, right) => {
        const same = left.tenant === right.tenant && left.entity === right.entity && left.key === right.key;
        const leftKey = layout.entityKey(left.entity, left.key, left.tenant);
        const rightKey = layout.entityKey(right.entity, right.key, right.tenant);
        expect(leftKey === rightKey).toBe(same);
        // The whole address is in the hash tag.
        expect(`ctx:acme:{${hashTag(leftKey)}}`).toBe(leftKey);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe("tenant markers", () => {
  it("property: a tenant's marker key is one per tenant, never an entity key, and never matched by sampling's SCAN", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "t", "%", "{", "}", ":", "é"), maxLength: 8 });
    fc.assert(
      fc.property(
        part.filter((tenant) => tenant.length > 0),
        part,
        part,
        part,
        (tenant, other, entity, key) => {
          const marker = layout.tenantMarkerKey(tenant);
          expect(marker.startsWith("ctx:acme:tenant:data:{%t")).toBe(true);
          // Nor under another namespace's entity keys (a tenant namespace cannot contain ":").
          expect(marker.startsWith(`${keyLayout("ctx:acme:", "tenant").namespace}{`)).toBe(false);
          expect(marker.startsWith(`${layout.namespace}{`)).toBe(false);
          expect(marker).not.toBe(layout.entityKey(entity, key, tenant));
          expect(marker).not.toBe(layout.entityKey(entity, key));
          if (other !== tenant && other.length > 0) expect(layout.tenantMarkerKey(other)).not.toBe(marker);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
