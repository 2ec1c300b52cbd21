#!/usr/bin/env node
// The `ctxstore` command. Inside the ctxstore repository (src/ next to this file) it runs the
// TypeScript sources directly: tsx compiles them and the `@ctxstore/source` export condition makes
// every workspace package resolve to its src/, so `npx ctxstore ...` works from a fresh clone with no
// build step. A published install has only dist/ and runs the compiled JavaScript.
// Plain JavaScript with no static imports beyond node:fs, so an old Node gets a clear message.
import { existsSync } from "node:fs";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `ctxstore needs Node.js 22 or newer (this is ${process.version}). Install a newer Node and run it again.\n`,
  );
  process.exit(1);
}

const sourceEntry = new URL("../src/main.ts", import.meta.url);
// CTXSTORE_CLI_FROM_DIST=1 runs the built dist/ inside the repository too (to check a build).
if (existsSync(sourceEntry) && process.env.CTXSTORE_CLI_FROM_DIST !== "1") {
  const module = await import("node:module");
  if (typeof module.registerHooks === "function") {
    module.registerHooks({
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
    // Node 22 before 22.15 has no in-thread resolve hooks: run the sources in a child Node with the
    // condition and tsx given as flags, passing through its output, signals and exit code.
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      ["--conditions=@ctxstore/source", "--import", "tsx", sourceEntry.pathname, ...process.argv.slice(2)],
      { stdio: "inherit" },
    );
    for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
  }
} else {
  await import(new URL("../dist/main.js", import.meta.url).href);
}
