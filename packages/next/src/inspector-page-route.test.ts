import { describe, expect, it } from "vitest";
import { createFixture } from "../test/fixtures.js";
import { inspectorPageRoute } from "./inspector-page-route.js";

const at = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://shop.test${path}`, { headers });

describe("inspectorPageRoute", () => {
  it("is off by default and behind a per-request check, like inspectRoute", async () => {
    const { ctx } = await createFixture();
    const off = await inspectorPageRoute({ contextStore: ctx })(at("/admin/context"));
    expect(off.status).toBe(404);
    expect(((await off.json()) as { message: string }).message).toContain("enabled");
    const gated = inspectorPageRoute({
      contextStore: ctx,
      basePath: "/admin/context",
      enabled: (request) => request.headers.get("cookie") === "admin=1",
    });
    expect((await gated(at("/admin/context"))).status).toBe(404);
    const page = await gated(at("/admin/context", { cookie: "admin=1" }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/admin/context/inspector.js"');
  });

  it("serves the page's API under the base path", async () => {
    const { ctx } = await createFixture();
    const route = inspectorPageRoute({ contextStore: ctx, basePath: "/admin/context", enabled: true });
    const response = await route(at("/admin/context/api/assemble?user.userId=ana&maxTokens=400"));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { text: string; sources: Array<{ source: string }> };
    expect(body.text).toContain("Ana Lima");
    expect(body.sources.length).toBeGreaterThan(0);
    const bad = await route(at("/admin/context/api/assemble?shopper.id=1"));
    expect(bad.status).toBe(400);
  });
});
