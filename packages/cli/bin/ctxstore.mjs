#!/usr/bin/env node
// The `ctxstore` command. Inside the ctxstore repository (src/ next to this file) it runs the
// TypeScript sources directly: tsx compiles them and the `@ctxstore/source` export condition makes
// every workspace package resolve to its src/, so `npx ctxstore ...` works from a fresh clone with no
// build step. A published install has only dist/ and runs the compiled JavaScript.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(`ctxstore needs Node.js 22 or newer (this is ${process.version}).\n`);
  process.exit(1);
}

const sourceEntry = new URL("../src/main.ts", import.meta.url);
// CTXSTORE_CLI_FROM_DIST=1 runs the built dist/ inside the repository too (to check a build).
if (existsSync(sourceEntry) && process.env.CTXSTORE_CLI_FROM_DIST !== "1") {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      return nextResolve(specifier, {
        ...context,
        conditions: [...context.conditions, "@ctxstore/source"],
      });
    },
  });
  const { register } = await import("tsx/esm/api");
  register();
  await import(sourceEntry.href);
} else {
  await import(new URL("../dist/main.js", import.meta.url).href);
}
