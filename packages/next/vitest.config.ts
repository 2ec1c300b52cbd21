import { fileURLToPath } from "node:url";
import { defineProjectConfig } from "../../vitest.shared.ts";

const config = defineProjectConfig({ testTimeout: 30_000 });
// vitest hands the SSR conditions to Node as `--conditions`, so the workspace's `source` condition
// also reaches dependencies Node loads itself; eventsource-parser (under the AI SDK) publishes
// TypeScript under `source`, which Node refuses to load from node_modules. So the workspace packages
// are aliased to their `src` here and `source` is left out of the conditions (as in @ctxstore/ai-sdk).
const workspaceSource = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
config.resolve = {
  ...config.resolve,
  alias: [
    { find: /^@ctxstore\/core\/testing$/, replacement: workspaceSource("core/src/testing/index.ts") },
    { find: /^@ctxstore\/core$/, replacement: workspaceSource("core/src/index.ts") },
    { find: /^@ctxstore\/ai-sdk$/, replacement: workspaceSource("ai-sdk/src/index.ts") },
    { find: /^@ctxstore\/redis\/testing$/, replacement: workspaceSource("redis/src/testing/index.ts") },
    { find: /^@ctxstore\/redis$/, replacement: workspaceSource("redis/src/index.ts") },
  ],
};
const withoutSource = (conditions: string[] | undefined) =>
  conditions?.filter((condition) => condition !== "source");
if (config.resolve.conditions)
  config.resolve.conditions = withoutSource(config.resolve.conditions) as string[];
if (config.ssr?.resolve) {
  config.ssr.resolve.conditions = withoutSource(config.ssr.resolve.conditions) as string[];
  config.ssr.resolve.externalConditions = withoutSource(config.ssr.resolve.externalConditions) as string[];
}
export default config;
