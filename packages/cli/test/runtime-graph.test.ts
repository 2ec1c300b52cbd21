// What an application's bundler sees when it bundles @ctxstore/cli (a Next.js route mounting the
// inspector page imports the package entry): the graph reachable from src/index.ts resolved with
// the published conditions (no `@ctxstore/source`), the `#inspector-script` import pointing at the
// module `npm run build` generates. Every package it imports must be one a user installs with
// @ctxstore/cli (a dependency or a peer), and no module may reference a file next to itself through
// `new URL(..., import.meta.url)`, which webpack turns into an asset it must find. This is what
// broke `next build` when the inspector bundled its page with esbuild (a devDependency) at run time.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePrebuiltScript } from "../scripts/build-inspector.js";
import { CLI_DIR } from "./support/cli.js";

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  imports: Record<string, { default: string }>;
}

const manifest = JSON.parse(await readFile(join(CLI_DIR, "package.json"), "utf8")) as Manifest;
let prebuiltDir = "";

beforeAll(async () => {
  prebuiltDir = await mkdtemp(join(tmpdir(), "ctxstore-cli-graph-"));
  await writePrebuiltScript(prebuiltDir);
});
afterAll(() => rm(prebuiltDir, { recursive: true, force: true }));

/** Resolves the package's own `#...` imports to their published ("default") targets. */
function publishedImports(): Plugin {
  return {
    name: "published-imports",
    setup(setup) {
      setup.onResolve({ filter: /^#/ }, ({ path }) => {
        const target = manifest.imports[path]?.default;
        if (!target) return { errors: [{ text: `${path} is not in package.json "imports"` }] };
        const generated = target.match(/^\.\/dist\/inspector\/(script-prebuilt\.js)$/);
        if (!generated?.[1]) return { errors: [{ text: `${path} -> ${target}: no generated module known` }] };
        return { path: join(prebuiltDir, generated[1]) };
      });
    },
  };
}

async function runtimeGraph() {
  const result = await build({
    entryPoints: [join(CLI_DIR, "src", "index.ts")],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    conditions: [],
    packages: "external",
    plugins: [publishedImports()],
    logLevel: "silent",
  });
  const imported = new Set<string>();
  for (const output of Object.values(result.metafile.outputs))
    for (const item of output.imports) if (item.external) imported.add(item.path);
  return { imported: [...imported], code: result.outputFiles.map((file) => file.text).join("\n") };
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

describe("the published runtime graph of @ctxstore/cli", () => {
  it("imports only the package's dependencies, peers and Node built-ins (no esbuild, no Preact)", async () => {
    const { imported } = await runtimeGraph();
    const installed = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const builtins = new Set(builtinModules);
    const undeclared = imported
      .filter((specifier) => !specifier.startsWith("node:") && !builtins.has(specifier))
      .map(packageName)
      .filter((name) => !installed.has(name));
    expect(undeclared).toEqual([]);
    expect(imported.map(packageName)).not.toContain("esbuild");
    expect(imported).toContain("@ctxstore/core");
  });

  it("serves the page's script from the generated module, with no file read relative to a module", async () => {
    const { code } = await runtimeGraph();
    expect(code).not.toMatch(/new URL\([^)]*import\.meta\.url/);
    expect(code).toContain("Skip to results");
    expect(code).toContain("function loadInspectorScript()");
  });
});
