// The inspector page's script, served by the inspector itself (the page loads nothing from a CDN).
// Where it comes from is chosen by package.json's `#inspector-script` import: a published package
// ships it prebuilt as a plain JavaScript module (dist/inspector/script-prebuilt.js, written by
// `npm run build`), so the run-time graph has no bundler in it and an app's own bundler (webpack in
// `next build`) sees one string module; inside the repository the `@ctxstore/source` condition
// selects script-source.ts, which bundles the current sources with esbuild on first use.
import { loadInspectorScript } from "#inspector-script";

export function inspectorScript(): Promise<string> {
  return loadInspectorScript();
}
