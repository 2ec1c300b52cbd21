// Drives the inspector page in Chromium: the screenshots for docs/images/ (scripts/screenshots.ts)
// and the browser test's artifacts come from the same steps.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

export async function openInspector(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.getByTestId("request-form-a").waitFor();
  return page;
}

/** Picks a named request in form A (or B) and assembles it. */
export async function runPreset(page: Page, preset: string, form: "a" | "b" = "a"): Promise<void> {
  await page.getByTestId(`preset-${form}`).selectOption(preset);
  await page.getByTestId(`submit-${form}`).click();
  await page.getByTestId(`result-${form}`).getByTestId("result").waitFor();
}

export async function captureInspector(browser: Browser, url: string, outDir: string): Promise<string[]> {
  const files: string[] = [];
  const page = await openInspector(browser, url);
  await runPreset(page, "returning");
  await page.getByTestId("freshness-row").first().waitFor();
  files.push(join(outDir, "inspector-request.png"));
  await page.screenshot({ path: join(outDir, "inspector-request.png"), fullPage: true });
  await page.getByTestId("compare-toggle").check();
  await page.getByTestId("preset-b").selectOption("lapsed");
  await page.getByTestId("submit-both").click();
  await page.getByTestId("compare").waitFor();
  await page.getByTestId("result-b").getByTestId("result").waitFor();
  files.push(join(outDir, "inspector-compare.png"));
  await page.screenshot({ path: join(outDir, "inspector-compare.png"), fullPage: true });
  await page.close();
  return files;
}
