// The inspector's format and purpose fields in real headless Chromium, on a governed context store
// mounted the way an app mounts it (inspectorHandler with an `identify` that reads the caller's
// session, here a header the browser context sends): keyboard-only fill of the new fields, values
// masked for an ordinary role and unmasked for the role inspection's `unredactedFor` names (also
// when previewing `serving`, which keeps everything), the URL round trip, and an unknown purpose.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { batch, createContextStore, defineEntity, memoryStore } from "@ctxstore/core";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { inspectorHandler } from "../src/inspector/handler.js";
import { type RunningInspector, startInspectorServer } from "../src/inspector/server.js";
import { CLI_DIR } from "./support/cli.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./support/inspector-pages.js";

const RESULTS = join(CLI_DIR, "test-results");
const chromiumPresent = existsSync(CHROMIUM_PATH);
if (!chromiumPresent && process.env.CI === "true")
  throw new Error(`The inspector browser test needs Chromium at ${CHROMIUM_PATH} (or set CHROMIUM_PATH).`);

const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const contact = batch("contact", {
  entity: customer,
  schema: z.object({ name: z.string(), email: z.string(), plan: z.string() }),
  section: "Customer",
  priority: 90,
  render: (value) => [`Name: ${value.name}`, `Email: ${value.email}`, `Plan: ${value.plan}`],
  pii: { fields: { name: "person_name", email: "contact" } },
});
const notes = batch("notes", {
  entity: customer,
  schema: z.object({ text: z.string() }),
  section: "Agent notes",
  priority: 80,
  render: (value) => value.text,
  pii: { category: "free_text" },
});

const OFFICER_HEADER = { "x-test-role": "privacy-officer" };

async function blockText(page: Page, source: string): Promise<string> {
  return (await page.locator(`[data-testid="block"][data-source="${source}"] pre`).textContent()) ?? "";
}

describe.skipIf(!chromiumPresent)("the inspector's format and purpose fields, by role", () => {
  let server: RunningInspector;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    const context = createContextStore({
      sources: [contact, notes],
      online: memoryStore(),
      deadline: "5s",
      governance: {
        pseudonymKey: "inspector-test-pseudonym-key",
        purposes: { inspection: { otherwise: "mask", unredactedFor: ["privacy-officer"] } },
      },
    });
    await context.ready();
    const key = { customerId: "c1" };
    await context.write(contact, key, { name: "Ana Lima", email: "ana@example.com", plan: "Gold" });
    await context.write(notes, key, { text: "Asked for a refund twice." });
    const handler = inspectorHandler({
      context,
      enabled: true,
      identify: (request) =>
        request.headers.get("x-test-role") === "privacy-officer"
          ? { principal: { id: "dpo", roles: ["privacy-officer"] } }
          : { principal: { id: "agent-7", roles: ["support"] } },
    });
    server = await startInspectorServer(handler, { port: 0, hostname: "127.0.0.1" });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(url: string, headers: Record<string, string> = {}): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      extraHTTPHeaders: headers,
    });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByTestId("request-form-a").waitFor();
    return page;
  }

  it("fills format and purpose by keyboard alone; previewing serving stays masked for an ordinary role", async () => {
    const page = await open(server.url);
    await page.getByLabel("customer.customerId").focus();
    await page.keyboard.type("c1");
    const order: string[] = [];
    for (const step of ["query", "max-tokens", "tenant", "deadline", "format", "purpose"]) {
      await page.keyboard.press("Tab");
      order.push(step);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(`a-${step}`);
      if (step === "format") {
        // A closed <select> takes arrow keys: "the store's" -> markdown -> xml.
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("ArrowDown");
      }
    }
    expect(await page.getByLabel("Prompt format").inputValue()).toBe("xml");
    await page.keyboard.type("serving");
    await page.keyboard.press("Enter");
    await page.getByTestId("result-a").getByTestId("result").waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("results");

    expect(await page.getByTestId("run-as").textContent()).toMatch(/Previewing purpose serving/);
    expect(await blockText(page, "contact")).toContain("Email: [redacted contact]");
    expect(await blockText(page, "contact")).toContain("Plan: Gold");
    expect(await blockText(page, "notes")).toContain("[redacted free_text]");
    const prompt = (await page.getByTestId("prompt-text").locator("pre").textContent()) ?? "";
    expect(prompt).toMatch(/^<section name="Customer" tier="batch" status="complete">/);
    expect(prompt).not.toContain("ana@example.com");
    expect(prompt).not.toContain("refund");

    const link = new URL((await page.getByTestId("share-link").getAttribute("href")) ?? "");
    expect(link.searchParams.get("format")).toBe("xml");
    expect(link.searchParams.get("purpose")).toBe("serving");
    await page.screenshot({ path: join(RESULTS, "inspector-preview-masked.png"), fullPage: true });
    await page.context().close();
  });

  it("unmasks for the role inspection allows unredacted, and the shared URL restores format and purpose", async () => {
    const shared = `${server.url}?customer.customerId=c1&maxTokens=400&format=xml&purpose=serving`;
    const officer = await open(shared, OFFICER_HEADER);
    await officer.getByTestId("result-a").getByTestId("result").waitFor();
    expect(await officer.getByLabel("Prompt format").inputValue()).toBe("xml");
    expect(await officer.getByLabel("Preview as purpose").inputValue()).toBe("serving");
    expect(await blockText(officer, "contact")).toContain("Email: ana@example.com");
    expect(await blockText(officer, "notes")).toContain("Asked for a refund twice.");
    await officer.screenshot({ path: join(RESULTS, "inspector-preview-officer.png"), fullPage: true });
    await officer.context().close();

    // The same link for an ordinary role: the same request, masked.
    const agent = await open(shared);
    await agent.getByTestId("result-a").getByTestId("result").waitFor();
    expect(await agent.getByLabel("Preview as purpose").inputValue()).toBe("serving");
    expect(await blockText(agent, "contact")).toContain("Email: [redacted contact]");
    // Without a purpose, inspection's own policy: masked for the agent, unmasked for the officer.
    const plain = `${server.url}?customer.customerId=c1&maxTokens=400`;
    await agent.goto(plain);
    await agent.getByTestId("result-a").getByTestId("result").waitFor();
    expect(await agent.getByTestId("run-as").textContent()).toMatch(/Purpose: inspection/);
    expect(await blockText(agent, "contact")).toContain("Name: [redacted person_name]");
    await agent.context().close();
    const officerPlain = await open(plain, OFFICER_HEADER);
    await officerPlain.getByTestId("result-a").getByTestId("result").waitFor();
    expect(await blockText(officerPlain, "contact")).toContain("Name: Ana Lima");
    await officerPlain.context().close();
  });

  it("shows an unknown purpose as an error naming the declared ones", async () => {
    const page = await open(server.url);
    await page.getByLabel("customer.customerId").fill("c1");
    await page.getByLabel("Preview as purpose").fill("marketing");
    await page.getByLabel("Preview as purpose").press("Enter");
    const error = page.getByTestId("result-a").getByTestId("error");
    await error.waitFor();
    expect(await error.getAttribute("data-code")).toBe("CTX_UNKNOWN_PURPOSE");
    expect(await error.textContent()).toMatch(
      /"marketing" is not declared; use one of serving, training, inspection/,
    );
    await page.context().close();
  });
});
