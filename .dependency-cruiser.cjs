// dependency-cruiser rules for the workspace, run by `npm run lint` (after biome):
// 1. no import cycle between modules of any package's src, type-only imports included;
// 2. no cycle between folders either (the folders of core/src are the pipeline's stages, so a folder
//    that imports one that imports it back means the stages are tangled): .dependency-cruiser.folders.cjs,
//    a second pass without test files (a test may import its package's entry point from any folder);
// 3. every package other than core, and every example, reaches @ctxstore/core only through its public
//    entry points (@ctxstore/core, @ctxstore/core/store, @ctxstore/core/testing): never a relative
//    path into packages/core, never a subpath that is not exported. That keeps every adapter one a
//    third party could write.
/** @type {import('dependency-cruiser').IConfiguration} */
const CORE_ENTRIES = "^packages/core/src/(index|store-kit|testing/index)\\.ts$";

const config = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Modules import each other (directly or through others): break the cycle by moving the shared part into its own module.",
      from: { path: "^packages/[^/]+/src/" },
      to: { circular: true },
    },
    {
      name: "core-through-public-entries",
      severity: "error",
      comment:
        "Import @ctxstore/core, @ctxstore/core/store or @ctxstore/core/testing; core's internals are not an API.",
      from: { path: "^(packages/(?!core/)[^/]+|examples/[^/]+)/" },
      to: { path: "^packages/core/", pathNot: CORE_ENTRIES },
    },
    {
      name: "core-subpath-not-exported",
      severity: "error",
      comment: "This @ctxstore/core subpath is not one of its entry points (., ./store, ./testing).",
      from: { path: "^(packages|examples)/" },
      to: { couldNotResolve: true, path: "^@ctxstore/core/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.next[^/]*|\\.turbo|test-results)/" }, // build output (git-ignored)
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      // Resolve workspace packages to their src, as the tests and type-checks do.
      conditionNames: ["@ctxstore/source", "import", "types", "node", "default"],
      exportsFields: ["exports"],
      mainFields: ["module", "main", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".d.ts"],
    },
  },
};

module.exports = config;
