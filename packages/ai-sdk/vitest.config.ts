import { fileURLToPath } from "node:url";
import { defineProjectConfig } from "../../vitest.shared.ts";

const config = defineProjectConfig();
// vitest hands the SSR conditions to Node as `--conditions`, so the workspace's `source` condition
// also applies to dependencies Node loads itself; eventsource-parser (under the AI SDK) publishes
// TypeScript under `source`, which Node refuses to load from node_modules. Here the workspace
// package is aliased to its `src` instead, and `source` is left out of the conditions.
const coreSource = (path: string) => fileURLToPath(new URL(`../core/src/${path}`, import.meta.url));
config.resolve = {
  ...config.resolve,
  alias: [
    { find: /^@ctxstore\/core\/testing$/, replacement: coreSource("testing/index.ts") },
    { find: /^@ctxstore\/core$/, replacement: coreSource("index.ts") },
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
