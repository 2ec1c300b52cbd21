// `npx ctxstore ...` from the repository root uses the quickstart's config (docs/cli.md).
export { default } from "./examples/quickstart/ctxstore.config.ts";
