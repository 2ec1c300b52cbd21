import { batch, createContextStore, defineEntity, memoryStore } from "@ctxstore/core";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  activity,
  chunkedRequest,
  createFixture,
  identifyFromCookies,
  jsonRequest,
  profile,
  type ShopFixture,
} from "../test/fixtures.js";
import { type EventsRouteOptions, eventsRoute } from "./events-route.js";
import { memoryRateLimiter } from "./rate-limit.js";

const URL_ = "http://shop.test/api/events";
const NOW = Date.parse("2026-11-21T10:00:00.000Z");

type Event = z.infer<typeof activity.schema>;

function route(fixture: ShopFixture, overrides: Partial<EventsRouteOptions<Event>> = {}) {
  return eventsRoute<Event>({
    contextStore: fixture.ctx,
    source: activity,
    identify: identifyFromCookies,
    // The browser sends no time; the server stamps it (its clock is the one trusted).
    prepare: (event, { receivedAt }) => ({ ...(event as object), at: new Date(receivedAt).toISOString() }),
    now: () => NOW,
    ...overrides,
  });
}

async function sessionWindow(fixture: ShopFixture, sessionId = "s1") {
  const result = await fixture.ctx.assemble(
    { keys: { session: { sessionId } }, budget: { maxTokens: 500 }, sources: ["session_activity"] },
    { now: NOW + 1000 },
  );
  return result;
}

describe("eventsRoute", () => {
  let fixture: ShopFixture;
  beforeEach(async () => {
    fixture = await createFixture({ now: () => NOW });
  });

  it("appends a valid event to the session's stream window (202), where the next assembly sees it", async () => {
    const response = await route(fixture)(
      jsonRequest(URL_, { type: "view", productId: "trail-runner-x", label: "Trail Runner X" }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    const result = await sessionWindow(fixture);
    expect(result.values.session_activity?.status).toBe("ok");
    expect(result.values.session_activity?.eventTime).toBe(NOW);
    expect(result.text).toContain("view: Trail Runner X");
  });

  it("keeps a batch in the order it was sent", async () => {
    const events = [
      { type: "view", productId: "a", label: "first" },
      { type: "click", productId: "a", label: "second" },
      { type: "add_to_cart", productId: "a", label: "third", quantity: 1 },
    ];
    const response = await route(fixture)(jsonRequest(URL_, { events }));
    expect(await response.json()).toEqual({ accepted: 3, duplicates: 0 });
    const value = (await sessionWindow(fixture)).values.session_activity?.value as Event[] | undefined;
    expect(value?.map((event) => event.label)).toEqual(["first", "second", "third"]);
  });

  it("answers 400 naming every invalid field, and records none of the batch", async () => {
    const events = [
      { type: "view", productId: "a", label: "fine" },
      { type: "view", productId: "", label: 7 },
      { type: "add_to_cart", productId: "b", label: "two", quantity: 0 },
    ];
    const response = await route(fixture)(jsonRequest(URL_, { events }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; fields: { path: string; code: string }[] };
    expect(body.error).toBe("invalid_event");
    expect(body.fields.map((field) => field.path).sort()).toEqual([
      "events[1].label",
      "events[1].productId",
      "events[2].quantity",
    ]);
    expect((await sessionWindow(fixture)).values.session_activity?.status).toBe("missing");
  });

  it("names the field of a single-event body without an index", async () => {
    const response = await route(fixture)(jsonRequest(URL_, { type: "view", label: "no product" }));
    const body = (await response.json()) as { fields: { path: string }[] };
    expect(response.status).toBe(400);
    expect(body.fields).toEqual([expect.objectContaining({ path: "productId" })]);
  });

  it("reports an event type the schema does not know as unknown_event_type", async () => {
    const response = await route(fixture)(
      jsonRequest(URL_, { type: "purchase", productId: "a", label: "x" }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: string;
      fields: { path: string; code: string; message: string }[];
    };
    expect(body.error).toBe("unknown_event_type");
    expect(body.fields).toEqual([expect.objectContaining({ path: "type", code: "unknown_event_type" })]);
    expect(body.fields[0]?.message).toMatch(/view/);
  });

  it("reports a missing type as an invalid field, not an unknown type", async () => {
    const response = await route(fixture)(jsonRequest(URL_, { productId: "a", label: "x" }));
    const body = (await response.json()) as { error: string; fields: { code: string }[] };
    expect(body.error).toBe("invalid_event");
    expect(body.fields[0]?.code).not.toBe("unknown_event_type");
  });

  it.each([
    ["a JSON array", [{ type: "view" }]],
    ["a string", "view"],
    ["events that is not an array", { events: { type: "view" } }],
    ["an empty events list", { events: [] }],
  ])("answers %s with 400 invalid_body", async (_label, body) => {
    const response = await route(fixture)(jsonRequest(URL_, JSON.stringify(body)));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_body" });
  });

  it("answers malformed JSON with 400 invalid_json", async () => {
    const response = await route(fixture)(jsonRequest(URL_, '{"type":"view",'));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_json" });
  });

  it("answers a form post with 415", async () => {
    const request = new Request(URL_, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: "uid=ana; sid=s1" },
      body: "type=view",
    });
    expect((await route(fixture)(request)).status).toBe(415);
  });

  it("answers an oversized body with 413 before reading it whole", async () => {
    const encoder = new TextEncoder();
    const { request, pulled } = chunkedRequest(URL_, [
      encoder.encode('{"events":['),
      ...Array.from({ length: 50 }, () => encoder.encode(" ".repeat(1000))),
    ]);
    const response = await route(fixture, { maxBodyBytes: 4096 })(request);
    expect(response.status).toBe(413);
    expect(pulled()).toBeLessThan(10);
  });

  it("answers more events than maxEvents with 413 and records none", async () => {
    const events = Array.from({ length: 6 }, (_, index) => ({
      type: "view",
      productId: "a",
      label: `e${index}`,
    }));
    const response = await route(fixture, { maxEvents: 5 })(jsonRequest(URL_, { events }));
    expect(response.status).toBe(413);
    expect((await sessionWindow(fixture)).values.session_activity?.status).toBe("missing");
  });

  it("answers 401 without a user, and 401 naming the entity when the session key is missing", async () => {
    const anonymous = jsonRequest(URL_, { type: "view", productId: "a", label: "x" }, { cookie: "" });
    expect((await route(fixture)(anonymous)).status).toBe(401);
    const noSession = jsonRequest(URL_, { type: "view", productId: "a", label: "x" }, { cookie: "uid=ana" });
    const response = await route(fixture)(noSession);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toContain('"session" key');
  });

  it("rate-limits per session in events, with Retry-After, without slowing other sessions", async () => {
    let now = NOW;
    const handler = route(fixture, {
      rateLimit: memoryRateLimiter({ limit: 3, window: "30s", now: () => now }),
      now: () => now,
    });
    const view = (label: string) => ({ type: "view", productId: "a", label });
    expect((await handler(jsonRequest(URL_, { events: [view("1"), view("2")] }))).status).toBe(202);
    expect((await handler(jsonRequest(URL_, view("3")))).status).toBe(202);
    const limited = await handler(jsonRequest(URL_, view("4")));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("10");
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });
    const otherSession = jsonRequest(URL_, view("elsewhere"), { cookie: "uid=ana; sid=s2" });
    expect((await handler(otherSession)).status).toBe(202);
    now += 10_000;
    expect((await handler(jsonRequest(URL_, view("5")))).status).toBe(202);
    const labels = (
      (await sessionWindow(fixture)).values.session_activity?.value as Event[] | undefined
    )?.map((event) => event.label);
    expect(labels).toEqual(["1", "2", "3", "5"]);
  });

  it("reports a store that refuses the write as 503 store_unavailable, not as success", async () => {
    const online = memoryStore();
    const closedFixture = await createFixture({ online, now: () => NOW });
    await online.close();
    const errors: unknown[] = [];
    const response = await route(closedFixture, { onError: (error) => errors.push(error) })(
      jsonRequest(URL_, { type: "view", productId: "a", label: "x" }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toMatchObject({ error: "store_unavailable" });
    expect(errors).toHaveLength(1);
  });

  it("answers 503 CTX_TIMEOUT at its deadline when the store does not answer, saying the events may have been recorded (#22)", async () => {
    const inner = memoryStore();
    // A paused server: appends and watermarks never answer, and ignore the signal they are given.
    const paused = {
      ...inner,
      read: inner.read.bind(inner),
      write: inner.write.bind(inner),
      append: () => new Promise<never>(() => {}),
      setWatermark: () => new Promise<never>(() => {}),
      delete: inner.delete.bind(inner),
      close: inner.close.bind(inner),
    };
    const stalled = await createFixture({ online: paused, now: () => NOW });
    const errors: unknown[] = [];
    const response = await route(stalled, { deadline: "50ms", onError: (error) => errors.push(error) })(
      jsonRequest(URL_, { type: "view", productId: "a", label: "x" }),
    );
    expect(response.status).toBe(503);
    const body = (await response.json()) as { message: string };
    expect(body).toMatchObject({ error: "store_unavailable", code: "CTX_TIMEOUT" });
    expect(body.message).toMatch(/may or may not have been recorded/);
    expect(String(errors[0])).toMatch(/deadline of 50ms/);
  });

  it("stops waiting for the store when the client goes away (the request's signal)", async () => {
    const inner = memoryStore();
    const paused = {
      ...inner,
      read: inner.read.bind(inner),
      write: inner.write.bind(inner),
      append: () => new Promise<never>(() => {}),
      setWatermark: inner.setWatermark.bind(inner),
      delete: inner.delete.bind(inner),
      close: inner.close.bind(inner),
    };
    const stalled = await createFixture({ online: paused, now: () => NOW });
    const controller = new AbortController();
    const request = new Request(jsonRequest(URL_, { type: "view", productId: "a", label: "x" }), {
      signal: controller.signal,
    });
    const answered = route(stalled, { deadline: "1h" })(request);
    // Let the route reach the store before the client hangs up.
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const response = await answered;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: "CTX_TIMEOUT" });
  });

  it("refuses a bad deadline when the route is built", () => {
    expect(() => route(fixture, { deadline: "soon" as never })).toThrow(/eventsRoute deadline/);
  });

  it("raises the stream watermark, so another session's empty window reads as a confirmed empty", async () => {
    await route(fixture)(jsonRequest(URL_, { type: "view", productId: "a", label: "x" }));
    const other = await sessionWindow(fixture, "s-quiet");
    expect(other.values.session_activity?.status).toBe("empty");
  });

  it("refuses at construction a source that is not a registered stream source", () => {
    const ctx = fixture.ctx;
    expect(() =>
      eventsRoute({ contextStore: ctx, source: profile as never, identify: identifyFromCookies }),
    ).toThrow(/CTX_CONFIG.*stream source/);
    const other = createContextStore({
      sources: [
        batch("x", { entity: defineEntity("thing", { key: z.string() }), schema: z.string(), section: "X" }),
      ],
    });
    expect(() =>
      eventsRoute({ contextStore: other, source: activity, identify: identifyFromCookies }),
    ).toThrow(/CTX_UNKNOWN_SOURCE/);
  });

  it("is all or nothing: a batch is recorded whole and in order when every event is valid, and not at all otherwise", async () => {
    const valid = fc.record({
      type: fc.constantFrom("view", "click"),
      productId: fc.stringMatching(/^[a-z]{1,8}$/),
      label: fc.stringMatching(/^[A-Za-z ]{1,12}$/),
    });
    const invalid = fc.oneof(
      fc.record({ type: fc.constant("purchase"), productId: fc.constant("p"), label: fc.constant("x") }),
      fc.record({ type: fc.constant("view"), productId: fc.constant(""), label: fc.constant("x") }),
      fc.record({
        type: fc.constant("add_to_cart"),
        productId: fc.constant("p"),
        label: fc.constant("x"),
        quantity: fc.constant(0),
      }),
    );
    const event = fc.oneof(
      { weight: 4, arbitrary: valid.map((value) => ({ value, ok: true })) },
      { weight: 1, arbitrary: invalid.map((value) => ({ value, ok: false })) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 8 }), async (events) => {
        const sessionId = `prop-${run++}`;
        const response = await route(fixture, { rateLimit: false })(
          jsonRequest(
            URL_,
            { events: events.map((entry) => entry.value) },
            { cookie: `uid=ana; sid=${sessionId}` },
          ),
        );
        const window = (await sessionWindow(fixture, sessionId)).values.session_activity;
        if (events.every((entry) => entry.ok)) {
          expect(response.status).toBe(202);
          expect((window?.value as Event[] | undefined)?.map((stored) => stored.label)).toEqual(
            events.map((entry) => (entry.value as { label: string }).label),
          );
        } else {
          expect(response.status).toBe(400);
          // Nothing of this batch was stored: the window is still empty (other sessions' appends raised the watermark).
          expect(window?.value).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("on a multi-tenant store, appends to the identified caller's tenant only (#18)", async () => {
    const ctx = createContextStore({ sources: [activity], tenancy: "multi", now: () => NOW });
    const tenantRoute = eventsRoute<Event>({
      contextStore: ctx,
      source: activity,
      identify: (request) => {
        const identity = identifyFromCookies(request);
        return identity ? { ...identity, tenant: "acme" } : null;
      },
      prepare: (event, { receivedAt }) => ({ ...(event as object), at: new Date(receivedAt).toISOString() }),
      now: () => NOW,
    });
    const response = await tenantRoute(
      jsonRequest(URL_, { type: "view", productId: "p1", label: "Tenant Shoe" }),
    );
    expect(response.status).toBe(202);
    const ask = (tenant: string) =>
      ctx.assemble(
        { keys: { session: { sessionId: "s1" } }, budget: { maxTokens: 500 }, tenant },
        { now: NOW + 1000 },
      );
    expect((await ask("acme")).text).toContain("Tenant Shoe");
    expect((await ask("globex")).text).not.toContain("Tenant Shoe");
  });
});
