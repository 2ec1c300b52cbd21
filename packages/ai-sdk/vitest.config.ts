import { fileURLToPath } from "node:url";
import { defineProjectConfig } from "../../vitest.shared.ts";

const config = defineProjectConfig();
// vitest hands the SSR resolve conditions to Node as `--conditions`, so they also apply to the
// dependencies Node loads natively. Two of the shared conditions break this package's dependencies:
// - `source`: eventsource-parser (under the AI SDK) publishes TypeScript under it, which Node will
//   not load from node_modules;
// - `module`: @opentelemetry/api's `module` build uses extensionless imports Node cannot resolve.
// So both are dropped here, and the workspace package is aliased to its `src` instead.
const coreSource = (path: string) => fileURLToPath(new URL(`../core/src/${path}`, import.meta.url));
const dropped = new Set(["source", "module"]);
const keep = (conditions: string[] | undefined) =>
  (conditions ?? []).filter((condition) => !dropped.has(condition));
config.resolve = {
  ...config.resolve,
  conditions: keep(config.resolve?.conditions),
  alias: [
    { find: /^@ctxstore\/core\/testing$/, replacement: coreSource("testing/index.ts") },
    { find: /^@ctxstore\/core$/, replacement: coreSource("index.ts") },
  ],
};
if (config.ssr?.resolve) {
  config.ssr.resolve.conditions = keep(config.ssr.resolve.conditions);
  config.ssr.resolve.externalConditions = keep(config.ssr.resolve.externalConditions);
}
export default config;
