// Shared vitest settings: resolve workspace packages through their `@ctxstore/source` export condition
// so tests run against `src` with no build step, and give service-backed suites room to start their
// servers. The condition name is scoped on purpose: a plain "source" is also published by third-party
// packages (eventsource-parser, under `ai`) pointing at TypeScript Node cannot load. "module" is left
// out for the same reason: vitest passes these conditions to Node, and some ESM builds selected by it
// (@opentelemetry/api) use extensionless imports Node rejects.
import { defineConfig } from "vitest/config";

const CONDITIONS = ["@ctxstore/source", "import", "node", "default"];

export function defineProjectConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: CONDITIONS },
    ssr: { resolve: { conditions: CONDITIONS, externalConditions: ["@ctxstore/source"] } },
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      reporters: ["default"],
    },
  });
}
