// docs/online-stores.md tells store authors which request checks defineOnlineStore applies; it once
// listed four of seven. Every online-store check exported from @ctxstore/core/store must be named there.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as storeKit from "../store-kit.js";

const GUIDE = fileURLToPath(new URL("../../../../docs/online-stores.md", import.meta.url));
// Vector checks are documented with defineVectorStore, not in the online-store list.
const VECTOR_CHECKS = new Set(["checkTenant", "checkVector", "checkVectorQuery", "checkVectorRecord"]);

describe("docs/online-stores.md", () => {
  it("names every online-store check the store kit exports", () => {
    const checks = Object.keys(storeKit).filter(
      (name) => /^check[A-Z]/.test(name) && !VECTOR_CHECKS.has(name),
    );
    expect(checks.length).toBeGreaterThanOrEqual(9);
    const guide = readFileSync(GUIDE, "utf8");
    expect(checks.filter((name) => !guide.includes(`\`${name}\``))).toEqual([]);
  });
});
