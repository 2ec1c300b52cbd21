// The inspector's fetch handler in-process: off unless enabled, mounted under a base path, the page
// and its bundled script served from itself, JSON errors for bad requests.
import { batch, createContextStore, defineEntity, realtime } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inspectorHandler } from "./handler.js";

const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
const greeting = realtime("greeting", {
  entity: user,
  schema: z.object({ text: z.string() }),
  timeout: "50ms",
  section: "Greeting",
  priority: 50,
  resolve: async ({ userId }) => ({ text: `Hello ${userId}` }),
  render: (value) => value.text,
});
const context = createContextStore({ sources: [greeting] });
// A server warms up before it takes requests (a cold store's first request waits for the tokenizer
// only within its deadline).
await context.ready();
const get = (handler: (request: Request) => Promise<Response>, path: string, init?: RequestInit) =>
  handler(new Request(`http://localhost${path}`, init));

describe("inspectorHandler", () => {
  it("answers 404 unless enabled, and asks the enabled check per request", async () => {
    expect((await get(inspectorHandler({ context }), "/")).status).toBe(404);
    const gated = inspectorHandler({
      context,
      enabled: (request) => request.headers.get("x-admin") === "yes",
    });
    expect((await get(gated, "/")).status).toBe(404);
    expect((await get(gated, "/", { headers: { "x-admin": "yes" } })).status).toBe(200);
  });

  it("serves the page, its script and the API under the base path", async () => {
    const handler = inspectorHandler({ context, enabled: true, basePath: "/admin/context/" });
    const page = await get(handler, "/admin/context");
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/admin/context/inspector.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await get(handler, "/admin/context/inspector.js");
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    const code = await script.text();
    expect(code.length).toBeGreaterThan(5_000);
    expect(code).not.toMatch(/from\s*["']https?:|import\(["']https?:/);
    const config = await (await get(handler, "/admin/context/api/config")).json();
    expect(config.entities).toEqual([{ name: "user", fields: ["userId"] }]);
    const result = await (
      await get(handler, "/admin/context/api/assemble?user.userId=ana&maxTokens=50")
    ).json();
    expect(result.text).toContain("Hello ana");
    expect(result.sources[0]).toMatchObject({ source: "greeting", status: "ok", outcome: "included" });
    expect((await get(handler, "/elsewhere")).status).toBe(404);
  });

  it("answers bad requests with 400 and a typed error, other methods with 405", async () => {
    const handler = inspectorHandler({ context, enabled: true });
    const bad = await get(handler, "/api/assemble?shopper.id=1");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({
      code: "CTX_UNKNOWN_ENTITY",
      details: { valid: ["user"] },
    });
    expect((await get(handler, "/api/assemble", { method: "POST" })).status).toBe(405);
    const freshness = await (await get(handler, "/api/freshness")).json();
    expect(freshness.unavailable).toMatch(/without a freshness provider/);
  });

  it("on a multi-tenant store takes the tenant from identify, refuses one in the URL, and masks PII (#18)", async () => {
    const contact = batch("contact", {
      entity: user,
      schema: z.object({ email: z.string() }),
      section: "Contact",
      render: (value) => `Email: ${value.email}`,
      pii: { fields: { email: "contact" } },
    });
    const tenants = createContextStore({
      sources: [contact],
      tenancy: "multi",
      governance: { pseudonymKey: "a-test-key-of-16-bytes+" },
    });
    await tenants.write(contact, { userId: "u1" }, { email: "ann@acme.example" }, { tenant: "acme" });
    await tenants.write(contact, { userId: "u1" }, { email: "bob@globex.example" }, { tenant: "globex" });
    const handler = inspectorHandler({
      context: tenants,
      enabled: true,
      identify: (request) => {
        const tenant = request.headers.get("x-tenant");
        return tenant === null ? undefined : { tenant };
      },
    });
    const refused = await get(handler, "/api/assemble?user.userId=u1&tenant=globex", {
      headers: { "x-tenant": "acme" },
    });
    expect(refused.status).toBe(400);
    const answer = await get(handler, "/api/assemble?user.userId=u1", { headers: { "x-tenant": "acme" } });
    const body = JSON.stringify(await answer.json());
    expect(body).toContain("[redacted contact]");
    expect(body).not.toMatch(/ann@|bob@/);
  });
});
