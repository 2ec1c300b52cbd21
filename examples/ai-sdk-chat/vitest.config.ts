import { fileURLToPath } from "node:url";
import { defineProjectConfig } from "../../vitest.shared.ts";

const config = defineProjectConfig();
// As in packages/ai-sdk: vitest hands the resolve conditions to Node, and the shared `source` and
// `module` conditions break AI SDK and OpenTelemetry dependencies loaded natively, so they are
// dropped and the workspace packages are aliased to their sources.
const workspace = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const dropped = new Set(["source", "module"]);
const keep = (conditions: string[] | undefined) =>
  (conditions ?? []).filter((condition) => !dropped.has(condition));
config.resolve = {
  ...config.resolve,
  conditions: keep(config.resolve?.conditions),
  alias: [
    { find: /^@ctxstore\/core\/testing$/, replacement: workspace("packages/core/src/testing/index.ts") },
    { find: /^@ctxstore\/core$/, replacement: workspace("packages/core/src/index.ts") },
    { find: /^@ctxstore\/ai-sdk$/, replacement: workspace("packages/ai-sdk/src/index.ts") },
  ],
};
if (config.ssr?.resolve) {
  config.ssr.resolve.conditions = keep(config.ssr.resolve.conditions);
  config.ssr.resolve.externalConditions = keep(config.ssr.resolve.externalConditions);
}
export default config;
