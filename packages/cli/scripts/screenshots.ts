// Regenerates the inspector screenshots in docs/images/ (npm run screenshots -w @ctxstore/cli, or
// `npx tsx --conditions=@ctxstore/source packages/cli/scripts/screenshots.ts`): starts
// `ctxstore inspect` on the quickstart config and drives headless Chromium through it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { REPO_ROOT, startInspector } from "../test/support/cli.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH, captureInspector } from "../test/support/inspector-pages.js";

const outDir = join(REPO_ROOT, "docs", "images");
mkdirSync(outDir, { recursive: true });
const inspector = await startInspector();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
try {
  const files = await captureInspector(browser, inspector.url, outDir);
  for (const file of files) process.stdout.write(`wrote ${file}\n`);
} finally {
  await browser.close();
  await inspector.stop();
}
