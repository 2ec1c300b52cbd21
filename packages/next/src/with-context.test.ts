import {
  batch,
  type CtxError,
  checkRequestLayer,
  createContextStore,
  defineEntity,
  isCtxError,
  RESERVED_LEFT_OUT_PREFIX,
  section,
} from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createFixture, identifyFromCookies } from "../test/fixtures.js";
import { inspectRoute } from "./inspect-route.js";
import { WARNING_HEADER, withContext } from "./with-context.js";

const get = (cookie = "uid=ana; sid=s1") =>
  new Request("http://shop.test/api/recommend?q=shoes", { headers: { cookie } });

describe("withContext", () => {
  it("a budget that leaves out every source: the response carries the x-ctxstore-warning header (#15)", async () => {
    const { ctx } = await createFixture();
    const handler = withContext(
      { contextStore: ctx, identify: identifyFromCookies, budget: { maxTokens: 3 } },
      (_request, { context }) => Response.json({ text: context.text }),
    );
    const response = await handler(get(), undefined);
    expect(response.status).toBe(200);
    expect(response.headers.get(WARNING_HEADER)).toMatch(/^Nothing fits: the budget of 3 tokens/);
    expect(response.headers.get(WARNING_HEADER)).toContain("customer_profile (");
    const roomy = withContext(
      { contextStore: ctx, identify: identifyFromCookies, budget: { maxTokens: 400 }, format: "xml" },
      (_request, { context }) => Response.json({ text: context.text }),
    );
    const answered = await roomy(get(), undefined);
    expect(answered.headers.get(WARNING_HEADER)).toBeNull();
    expect(((await answered.json()) as { text: string }).text).toMatch(/^<section name="/);
  });

  it("a budget that leaves out a whole reserved (minTokens) section: the header names it (#15)", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const profile = batch("profile", {
      entity: user,
      schema: z.string(),
      section: "Profile",
      priority: 90,
      required: true,
    });
    const terms = batch("terms", {
      entity: user,
      schema: z.string(),
      section: section("Account terms", { minTokens: 30 }),
    });
    const contextStore = createContextStore({ sources: [profile, terms] });
    await contextStore.write(
      profile,
      { userId: "ana" },
      "Ana Lima, trail runner training for a 50 km race in the spring.",
    );
    await contextStore.write(
      terms,
      { userId: "ana" },
      "Returns accepted within 60 days. Free exchanges on shoes.",
    );
    const handler = withContext(
      { contextStore, identify: () => ({ keys: { user: { userId: "ana" } } }), budget: { maxTokens: 24 } },
      (_request, { context }) => Response.json({ text: context.text }),
    );
    const response = await handler(get(), undefined);
    expect(response.status).toBe(200);
    const header = response.headers.get(WARNING_HEADER) ?? "";
    expect(header.startsWith(RESERVED_LEFT_OUT_PREFIX)).toBe(true);
    expect(header).toContain('section "Account terms" (minTokens 30)');
    expect(((await response.json()) as { text: string }).text).toContain("## Profile");
  });

  it("hands the handler the packed context and trace for the identified user, and passes the route argument through", async () => {
    const { ctx } = await createFixture();
    const seen: { query?: string | undefined } = {};
    const handler = withContext<{ params: Promise<{ slug: string }> }>(
      {
        contextStore: ctx,
        identify: identifyFromCookies,
        budget: { maxTokens: 300 },
        query: (request) => new URL(request.url).searchParams.get("q") ?? undefined,
      },
      async (_request, { context, identity, route }) => {
        seen.query = context.trace.query;
        return Response.json({
          text: context.text,
          tokens: context.tokens,
          identity,
          slug: (await route.params).slug,
          budget: context.trace.budget,
        });
      },
    );
    const response = await handler(get(), { params: Promise.resolve({ slug: "trail" }) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      text: string;
      tokens: number;
      identity: unknown;
      slug: string;
      budget: { maxTokens: number };
    };
    expect(body.text).toContain("Ana Lima. Trail runner training for a 50 km race.");
    expect(body.tokens).toBeGreaterThan(0);
    expect(body.budget.maxTokens).toBe(300);
    expect(body.slug).toBe("trail");
    expect(body.identity).toEqual({ keys: { user: { userId: "ana" }, session: { sessionId: "s1" } } });
    expect(seen.query).toBe("shoes");
  });

  it("answers 401 and never calls the handler when identify finds nobody", async () => {
    const { ctx } = await createFixture();
    let called = false;
    const handler = withContext({ contextStore: ctx, identify: identifyFromCookies }, () => {
      called = true;
      return new Response("unreachable");
    });
    expect((await handler(get(""), undefined)).status).toBe(401);
    expect(called).toBe(false);
  });

  it("answers 503 context_unavailable when a required source is down", async () => {
    const { ctx } = await createFixture({ loyalty: "down" });
    const handler = withContext(
      { contextStore: ctx, identify: identifyFromCookies },
      () => new Response("unreachable"),
    );
    const response = await handler(get(), undefined);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toMatchObject({
      error: "context_unavailable",
      code: "CTX_REQUIRED_UNAVAILABLE",
    });
  });

  it("assembles with the required source when it is up", async () => {
    const { ctx } = await createFixture({ loyalty: "ok" });
    const handler = withContext(
      { contextStore: ctx, identify: identifyFromCookies },
      (_request, { context }) => Response.json({ status: context.values.loyalty?.status }),
    );
    expect(await (await handler(get(), undefined)).json()).toEqual({ status: "ok" });
  });

  it("answers 400 when the identity's key does not match the entity's schema", async () => {
    const { ctx } = await createFixture();
    const handler = withContext(
      { contextStore: ctx, identify: () => ({ keys: { user: { userId: "" } } }) },
      () => new Response("unreachable"),
    );
    const response = await handler(get(), undefined);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "CTX_INVALID_KEY" });
  });

  it("turns a ctxstore error thrown by the handler into its JSON answer, and rethrows anything else", async () => {
    const { ctx } = await createFixture();
    const writes = withContext(
      { contextStore: ctx, identify: identifyFromCookies },
      async (_request, { context: _context }) => {
        await ctx.write((await import("../test/fixtures.js")).profile, { userId: "ana" }, {
          name: 3,
        } as never);
        return new Response("unreachable");
      },
    );
    const response = await writes(get(), undefined);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "CTX_INVALID_VALUE" });
    const crashes = withContext({ contextStore: ctx, identify: identifyFromCookies }, () => {
      throw new Error("handler bug");
    });
    await expect(crashes(get(), undefined)).rejects.toThrow("handler bug");
  });

  it("reports an unavailable (non-required) source as a status, not an error", async () => {
    const { ctx } = await createFixture();
    const handler = withContext(
      { contextStore: ctx, identify: identifyFromCookies },
      (_request, { context }) =>
        Response.json({ activity: context.values.session_activity?.status, text: context.text }),
    );
    const body = (await (await handler(get(), undefined)).json()) as { activity: string; text: string };
    // Nothing was ever appended and no watermark exists: unknown, and the prompt says so.
    expect(body.activity).toBe("missing");
    expect(body.text).toMatch(/unknown/i);
  });
});

describe("the request rules shared with core", () => {
  it("a key the selected sources need is absent: those sources are skipped, as in core", async () => {
    const { ctx } = await createFixture();
    const handler = withContext(
      { contextStore: ctx, identify: () => ({ keys: { user: { userId: "ana" } } }) },
      (_request, { context }) => Response.json(context.values.session_activity),
    );
    const response = await handler(get(), undefined);
    expect(response.status).toBe(200);
    const direct = await ctx.assemble({ keys: { user: { userId: "ana" } }, budget: { maxTokens: 1500 } });
    expect(await response.json()).toEqual({
      source: "session_activity",
      tier: "stream",
      status: "skipped",
      reason: 'no "session" key in the request',
    });
    expect(direct.values.session_activity?.status).toBe("skipped");
  });

  it.each([
    ["a bad budget", { budget: { maxTokens: 0 } }],
    ["an unknown budget field", { budget: { maxTokens: 10, tokens: 5 } }],
    ["a bad duration", { deadline: "soon" }],
    ["empty sources", { sources: [] }],
  ])("%s in the options: core's typed error and message, at construction", async (_, fields) => {
    const { ctx } = await createFixture();
    const expected = errorOf(() => checkRequestLayer(fields, "withContext options"));
    const error = errorOf(() =>
      withContext(
        { contextStore: ctx, identify: identifyFromCookies, ...(fields as object) },
        () => new Response(),
      ),
    );
    expect(isCtxError(error, expected.code)).toBe(true);
    expect(error.message).toBe(expected.message);
    expect(errorOf(() => inspectRoute({ contextStore: ctx, ...(fields as object) })).message).toBe(
      expected.message.replace("withContext options", "inspectRoute options"),
    );
  });
});

function errorOf(run: () => unknown): CtxError {
  try {
    run();
  } catch (error) {
    if (isCtxError(error)) return error;
  }
  throw new Error("expected a CtxError");
}
