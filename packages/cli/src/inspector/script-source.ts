// The inspector page's script bundled from its sources (src/inspector/ui, Preact) with esbuild.
// Build time and repository only: `npm run build` calls it to write the prebuilt module a published
// package ships (dist/inspector/script-prebuilt.js), and inside the repository the package.json
// `#inspector-script` import resolves here under the `@ctxstore/source` condition, so tests and
// `npx ctxstore inspect` bundle the current sources on first use and can never serve a stale page.
// Never compiled into dist (tsconfig.build.json excludes it): esbuild is a devDependency, and an app
// that bundles @ctxstore/cli (a Next.js route mounting the inspector) must not pull it in.
import { fileURLToPath } from "node:url";

let bundle: Promise<string> | undefined;

/** The page's script, bundled once per process. */
export function loadInspectorScript(): Promise<string> {
  bundle ??= bundleInspectorScript().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

/** Bundles the page's sources into one minified ES module for the browser. */
export async function bundleInspectorScript(): Promise<string> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./ui/main.tsx", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild produced no inspector bundle");
  return output.text;
}
