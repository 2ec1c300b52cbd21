// The generator's command line: reads a registry file, writes definitions to stdout or a file, and
// exits non-zero with the generator's message (or the usage) on bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { goldenRegistry } from "../../test/registry.js";
import { main } from "./generate.js";

describe("ctxstore-feast-generate", () => {
  const directory = mkdtempSync(join(tmpdir(), "feast-generate-"));
  afterEach(() => vi.restoreAllMocks());

  it("writes the definitions of the chosen views to --out", () => {
    const registry = join(directory, "registry.db");
    writeFileSync(registry, goldenRegistry());
    const out = join(directory, "feast.ts");
    expect(main([registry, "--project", "demo", "--feature-view", "driver_hourly_stats", "--out", out])).toBe(
      0,
    );
    expect(readFileSync(out, "utf8")).toContain('feastSource("driver_hourly_stats"');
  });

  it("exits 1 with the generator's message, 2 with the usage", () => {
    const errors: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    const notRegistry = join(directory, "feature_store.yaml");
    writeFileSync(notRegistry, "project: demo\n");
    expect(main([notRegistry, "--feature-view", "x"])).toBe(1);
    expect(errors.join("")).toMatch(/not a Feast registry file/);
    expect(main([join(directory, "missing.db"), "--feature-view", "x"])).toBe(1);
    expect(errors.join("")).toMatch(/no such file/);
    expect(main([join(directory, "registry.db")])).toBe(2);
    expect(main(["--bogus"])).toBe(2);
    rmSync(directory, { recursive: true, force: true });
  });
});
