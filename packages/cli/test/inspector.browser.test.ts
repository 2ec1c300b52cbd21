// The inspector page in real headless Chromium (playwright-core, the system Chromium), served by a
// real `ctxstore inspect` child process on the quickstart config: fill the form, read the sections,
// statuses and token bar from the DOM for a request with ok, timeout, stale and empty sources; a
// keyboard-only run-through; the shareable URL; two requests side by side; nothing loaded from
// anywhere but the inspector. Screenshots go to test-results/ as artifacts.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_DIR, type RunningCli, startInspector } from "./support/cli.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH, openInspector, runPreset } from "./support/inspector-pages.js";

const RESULTS = join(CLI_DIR, "test-results");
const chromiumPresent = existsSync(CHROMIUM_PATH);
if (!chromiumPresent) {
  const message = `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === "true") throw new Error(`The inspector browser test needs ${message}.`);
  console.warn(`\n  SKIPPING the inspector browser test: ${message}.\n`);
}

async function blockStatuses(page: Page, form: "a" | "b" = "a"): Promise<Record<string, string>> {
  return page
    .getByTestId(`result-${form}`)
    .getByTestId("block")
    .evaluateAll((blocks) =>
      Object.fromEntries(
        blocks.map((block) => [block.getAttribute("data-source"), block.getAttribute("data-status")]),
      ),
    );
}

describe.skipIf(!chromiumPresent)("the inspector page in headless Chromium", () => {
  let inspector: RunningCli;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    inspector = await startInspector();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    const code = await inspector?.stop();
    expect(code).toBe(0);
  });

  it("shows sections by tier, values by status (in words) and the token bar for ok, timeout, stale and empty sources", async () => {
    const page = await openInspector(browser, inspector.url);
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    await page.getByLabel("user.userId").fill("lapsed");
    await page.getByLabel("product.productId").fill("road-glide-3");
    await page.getByLabel("Query (the user's question)").fill("Which trail shoe suits a road runner?");
    await page.getByLabel("Budget (max tokens)").fill("600");
    await page.getByTestId("submit-a").click();
    const result = page.getByTestId("result-a").getByTestId("result");
    await result.waitFor();

    expect(await blockStatuses(page)).toMatchObject({
      customer_profile: "stale",
      order_history: "empty",
      live_inventory: "ok",
      loyalty_status: "timeout",
      help_center: "ok",
    });
    // The status reads without colour: each block carries its status as text.
    const profile = result.locator('[data-testid="block"][data-source="customer_profile"]');
    expect(await profile.getByTestId("status-badge").textContent()).toBe("stale");
    expect(await profile.locator("pre").textContent()).toMatch(/unknown|older than/i);
    const sections = await result
      .getByTestId("section")
      .evaluateAll((nodes) =>
        nodes.map((node) => [node.getAttribute("data-title"), node.getAttribute("data-tiers")]),
      );
    expect(sections).toEqual(
      expect.arrayContaining([
        ["Customer profile", "batch"],
        ["Live inventory", "realtime"],
        ["Loyalty", "realtime"],
        ["Relevant help articles", "vector"],
      ]),
    );
    expect(
      await result.locator('[data-title="Customer profile"]').getByTestId("tier-badge").textContent(),
    ).toBe("batch");

    const bar = result.getByTestId("token-bar");
    const tokens = Number(await bar.getAttribute("data-tokens"));
    expect(Number(await bar.getAttribute("data-budget"))).toBe(600);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(600);
    const segments = await bar.getByTestId("token-bar-segment").evaluateAll((nodes) =>
      nodes.map((node) => ({
        tier: node.getAttribute("data-tier"),
        tokens: Number(node.getAttribute("data-tokens")),
        width: (node as HTMLElement).getBoundingClientRect().width,
      })),
    );
    expect(segments.map((segment) => segment.tier)).toEqual(["batch", "stream", "realtime", "vector"]);
    const barWidth = await bar.locator(".bar").evaluate((node) => node.getBoundingClientRect().width);
    for (const segment of segments)
      expect(segment.width).toBeCloseTo((segment.tokens / 600) * (barWidth - 2), 0);
    expect(segments.reduce((sum, segment) => sum + segment.tokens, 0)).toBeLessThanOrEqual(tokens);
    expect(await bar.locator(".bar").getAttribute("aria-label")).toMatch(
      new RegExp(`${tokens} of 600 tokens used: batch \\d+`),
    );

    const loyalty = result.locator('[data-testid="trace-row"][data-source="loyalty_status"]');
    expect(await loyalty.getAttribute("data-status")).toBe("timeout");
    expect(await loyalty.textContent()).toMatch(/timed out after 50ms/);
    expect(
      await result.locator('[data-testid="trace-row"][data-source="customer_profile"]').textContent(),
    ).toMatch(/3d \/ 2d.*older than maxAge 2d/);

    const freshness = page.getByTestId("freshness");
    await freshness.getByTestId("freshness-row").first().waitFor();
    expect(await freshness.locator('[data-source="customer_profile"]').textContent()).toMatch(
      /67% fresh \/ 33% stale \(3 sampled\)/,
    );
    // Realtime values are fetched per request: nothing to measure, and never shown as fresh.
    expect(await freshness.locator('[data-source="loyalty_status"]').textContent()).not.toMatch(/fresh/);

    const origin = new URL(inspector.url).origin;
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url.startsWith(origin)).toBe(true);
    await page.screenshot({ path: join(RESULTS, "inspector-lapsed.png"), fullPage: true });
    await page.close();
  });

  it("runs by keyboard alone: skip link, labelled fields in order, Enter submits, focus moves to the results", async () => {
    const page = await openInspector(browser, inspector.url);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to results");
    const focusOrder: string[] = [];
    for (let step = 0; step < 12; step += 1) {
      await page.keyboard.press("Tab");
      const id = await page.evaluate(() => document.activeElement?.id ?? "");
      focusOrder.push(id);
      if (id === "a-key-user.userId") break;
    }
    expect(focusOrder).toContain("a-preset");
    expect(focusOrder.at(-1)).toBe("a-key-user.userId");
    await page.keyboard.type("ana");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("a-key-session.sessionId");
    await page.keyboard.type("s-ana-1");
    await page.keyboard.press("Tab");
    await page.keyboard.type("trail-runner-x");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Do you have trail shoes in my size?");
    await page.keyboard.press("Enter");
    await page.getByTestId("result-a").getByTestId("result").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("results");
    expect(await blockStatuses(page)).toMatchObject({
      customer_profile: "ok",
      session_activity: "ok",
      loyalty_status: "timeout",
    });
    // Focus is visible: the focused control draws an outline.
    await page.keyboard.press("Tab");
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).not.toBe("none");
    await page.screenshot({ path: join(RESULTS, "inspector-keyboard.png"), fullPage: true });
    await page.close();
  });

  it("puts the request in a shareable URL and compares two requests side by side", async () => {
    const page = await openInspector(browser, inspector.url);
    await runPreset(page, "returning");
    const link = await page.getByTestId("share-link").getAttribute("href");
    expect(link).toContain("user.userId=ana");
    expect(link).toContain("maxTokens=600");

    const shared = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await shared.goto(link ?? "");
    await shared.getByTestId("result-a").getByTestId("result").waitFor();
    expect(await shared.getByLabel("user.userId").inputValue()).toBe("ana");
    expect(await blockStatuses(shared)).toEqual(await blockStatuses(page));
    await shared.close();

    await page.getByTestId("compare-toggle").check();
    await runPreset(page, "new", "b");
    await page.getByTestId("submit-both").click();
    const compare = page.getByTestId("compare");
    await compare.waitFor();
    const changed = await compare
      .getByTestId("diff-row")
      .evaluateAll((rows) =>
        rows.map((row) => [row.getAttribute("data-source"), row.getAttribute("data-changed")]),
      );
    expect(Object.fromEntries(changed)).toMatchObject({
      customer_profile: "true",
      order_history: "true",
      loyalty_status: "false",
    });
    expect(await compare.locator('[data-source="customer_profile"]').textContent()).toMatch(/ok → empty/);
    expect(await blockStatuses(page, "b")).toMatchObject({
      customer_profile: "empty",
      order_history: "empty",
    });
    const both = await page.getByTestId("share-link").getAttribute("href");
    expect(both).toContain("compare=1");
    expect(both).toContain("b%3Auser.userId=new-visitor");
    await page.screenshot({ path: join(RESULTS, "inspector-compare.png"), fullPage: true });
    await page.close();
  });

  it("shows a bad request's error, with what to do, as an alert", async () => {
    const page = await openInspector(
      browser,
      `${inspector.url}?user.userId=&maxTokens=0&product.productId=x`,
    );
    await page.getByTestId("submit-a").click();
    const error = page.getByTestId("result-a").getByRole("alert");
    await error.waitFor();
    expect(await error.getAttribute("data-code")).toBe("CTX_INVALID_REQUEST");
    expect(await error.textContent()).toMatch(/maxTokens must be a positive integer/);
    await page.close();
  });
});
