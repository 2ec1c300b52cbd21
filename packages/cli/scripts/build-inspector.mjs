// `npm run build`: bundles the inspector page's script into dist/inspector/inspector.js, next to the
// compiled dist/inspector/assets.js that serves it (a published package has no esbuild or Preact
// at run time). Inside the repository the page is bundled on first use instead; see assets.ts.
import { mkdir } from "node:fs/promises";
import { build } from "esbuild";

const out = new URL("../dist/inspector/inspector.js", import.meta.url);
await mkdir(new URL(".", out), { recursive: true });
await build({
  entryPoints: [new URL("../src/inspector/ui/main.tsx", import.meta.url).pathname],
  outfile: out.pathname,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  legalComments: "none",
});
process.stdout.write(`wrote ${out.pathname}\n`);
