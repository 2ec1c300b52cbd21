// Shared vitest settings: resolve workspace packages through their `source` export condition so tests
// run against `src` with no build step, and give service-backed suites room to start their servers.
import { defineConfig } from "vitest/config";

export function defineProjectConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: ["source", "import", "module", "node", "default"] },
    ssr: {
      resolve: {
        conditions: ["source", "import", "module", "node", "default"],
        externalConditions: ["source"],
      },
    },
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      reporters: ["default"],
    },
  });
}
