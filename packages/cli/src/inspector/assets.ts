// The inspector page's script. A published package ships it prebuilt (dist/inspector/inspector.js,
// made by `npm run build`); inside the repository it is bundled from src/inspector/ui with esbuild
// on first use (tens of milliseconds), so it can never drift from its sources. Either way it is
// served by the inspector itself: the page loads nothing from a CDN.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

let bundle: Promise<string> | undefined;

export function inspectorScript(): Promise<string> {
  bundle ??= loadScript().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

async function loadScript(): Promise<string> {
  const prebuilt = fileURLToPath(new URL("./inspector.js", import.meta.url));
  if (existsSync(prebuilt)) return readFile(prebuilt, "utf8");
  return buildInspectorScript();
}

/** Bundles the page's sources (Preact) into one minified ES module. */
export async function buildInspectorScript(): Promise<string> {
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
