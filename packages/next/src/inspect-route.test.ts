import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createFixture } from "../test/fixtures.js";
import { inspectRoute, parseInspectQuery } from "./inspect-route.js";

const url = (query: string) => new Request(`http://shop.test/api/context?${query}`);

describe("inspectRoute", () => {
  it("is off by default: 404 that says how to enable it", async () => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx })(url("user.userId=ana"));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toContain("enabled");
  });

  it("returns the trace, packed text and sections for the user named in the URL when enabled", async () => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx, enabled: true })(
      url("user.userId=ana&session.sessionId=s1&query=shoes&maxTokens=400"),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      text: string;
      tokens: number;
      sections: { title: string }[];
      trace: { query: string; budget: { maxTokens: number }; sources: { source: string; status: string }[] };
      values?: unknown;
    };
    expect(body.text).toContain("Ana Lima");
    expect(body.trace.query).toBe("shoes");
    expect(body.trace.budget.maxTokens).toBe(400);
    expect(Object.fromEntries(body.trace.sources.map((source) => [source.source, source.status]))).toEqual({
      customer_profile: "ok",
      session_activity: "missing",
    });
    expect(body.sections.map((section) => section.title)).toContain("Customer profile");
    expect(body.values).toBeUndefined();
  });

  it("accepts keys as JSON and includes raw values only when asked", async () => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx, enabled: true, includeValues: true })(
      url(`keys=${encodeURIComponent(JSON.stringify({ user: { userId: "ana" } }))}`),
    );
    const body = (await response.json()) as { values: Record<string, { value: unknown }> };
    expect(body.values.customer_profile?.value).toEqual({
      name: "Ana Lima",
      summary: "Trail runner training for a 50 km race.",
    });
  });

  it("asks an enabled function per request (an admin check)", async () => {
    const { ctx } = await createFixture();
    const handler = inspectRoute({
      contextStore: ctx,
      enabled: (request) => request.headers.get("x-admin") === "yes",
    });
    expect((await handler(url("user.userId=ana"))).status).toBe(404);
    expect(
      (
        await handler(
          new Request("http://shop.test/api/context?user.userId=ana", { headers: { "x-admin": "yes" } }),
        )
      ).status,
    ).toBe(200);
  });

  it.each([
    ["no keys", "query=shoes", /at least one entity key/],
    ["a parameter that is not entity.field", "userId=ana", /Unknown parameter "userId"/],
    ["bad maxTokens", "user.userId=ana&maxTokens=-3", /maxTokens must be a positive integer/],
    ["keys that are not JSON", "keys=%7Buser", /JSON object/],
  ])("answers %s with 400", async (_label, query, message) => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx, enabled: true })(url(query));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
  });

  it("answers an entity the store does not know with 400 from the typed error", async () => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx, enabled: true })(url("tenant.id=acme"));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "CTX_UNKNOWN_ENTITY" });
  });

  it("parses several fields of one entity and comma-separated sources", () => {
    const parsed = parseInspectQuery(
      new URLSearchParams("order.shop=eu&order.number=7&sources=a,%20b,"),
      100,
    );
    expect(parsed).toEqual({
      keys: { order: { shop: "eu", number: "7" } },
      maxTokens: 100,
      sources: ["a", "b"],
    });
  });

  it("refuses a tenant in the URL: the tenant comes from the caller's identity (#18)", async () => {
    const { ctx } = await createFixture();
    const response = await inspectRoute({ contextStore: ctx, enabled: true })(
      url("user.userId=u1&tenant=acme"),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain("caller's identity");
  });

  it("scopes a multi-tenant inspection to the identified caller's tenant and masks PII by default", async () => {
    const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
    const contact = batch("contact", {
      entity: customer,
      schema: z.object({ email: z.string() }),
      section: "Contact",
      render: (value) => `Email: ${value.email}`,
      pii: { fields: { email: "contact" } },
    });
    const ctx = createContextStore({
      sources: [contact],
      tenancy: "multi",
      governance: { pseudonymKey: "a-test-key-of-16-bytes+" },
    });
    await ctx.write(contact, { customerId: "c1" }, { email: "ann@acme.example" }, { tenant: "acme" });
    await ctx.write(contact, { customerId: "c1" }, { email: "bob@globex.example" }, { tenant: "globex" });
    const route = inspectRoute({
      contextStore: ctx,
      enabled: true,
      identify: (request) => ({
        keys: { customer: { customerId: "inspector" } },
        ...(request.headers.has("x-tenant") ? { tenant: request.headers.get("x-tenant") as string } : {}),
      }),
    });
    const ask = (tenant: string) =>
      route(
        new Request("http://shop.test/api/context?customer.customerId=c1", {
          headers: { "x-tenant": tenant },
        }),
      );
    const acme = (await (await ask("acme")).json()) as { text: string };
    expect(acme.text).toContain("Email: [redacted contact]");
    expect(JSON.stringify(acme)).not.toMatch(/ann@|bob@/);
    const unknown = (await (await ask("initech")).json()) as {
      trace: { sources: Array<{ status: string }> };
    };
    expect(unknown.trace.sources[0]?.status).toBe("missing");
    const withoutIdentity = await inspectRoute({ contextStore: ctx, enabled: true })(
      new Request("http://shop.test/api/context?customer.customerId=c1"),
    );
    expect(withoutIdentity.status).toBe(400);
    expect(await withoutIdentity.json()).toMatchObject({ code: "CTX_TENANT_REQUIRED" });
  });
});
