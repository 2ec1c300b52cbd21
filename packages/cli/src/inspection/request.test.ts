// The shareable URL format: every request survives requestToParams -> requestFromParams unchanged,
// and bad parameters are usage errors that list what is valid.
import { createContextStore, defineEntity, isCtxError, realtime } from "@ctxstore/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type InspectionRequest, parseKeyArguments, requestFromParams, requestToParams } from "./request.js";

const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
const order = defineEntity("order", {
  key: z.object({ shop: z.string().min(1), orderId: z.string().min(1) }),
});
const lookup = (name: string, entity: typeof user | typeof order) =>
  realtime(name, {
    entity,
    schema: z.object({ text: z.string() }),
    timeout: "20ms",
    section: name,
    priority: 50,
    resolve: async () => ({ text: name }),
    render: (value) => value.text,
  });
const context = createContextStore({ sources: [lookup("greeting", user), lookup("status", order)] });

const value = fc.string({ minLength: 1, maxLength: 12 });
const requests: fc.Arbitrary<InspectionRequest> = fc
  .record(
    {
      user: fc.record({ userId: value }),
      order: fc.record({ shop: value, orderId: value }),
      query: fc.string({ maxLength: 40 }).filter((text) => text !== ""),
      maxTokens: fc.integer({ min: 1, max: 100_000 }),
      tenant: value,
      sources: fc.subarray(["greeting", "status"], { minLength: 1 }),
      deadline: fc.constantFrom("150ms", "2s", "1m"),
      format: fc.constantFrom("markdown" as const, "xml" as const),
    },
    { requiredKeys: ["maxTokens"] },
  )
  .filter((entry) => entry.user !== undefined || entry.order !== undefined)
  .map(({ user: userKey, order: orderKey, ...rest }) => ({
    keys: { ...(userKey ? { user: userKey } : {}), ...(orderKey ? { order: orderKey } : {}) },
    ...rest,
  }));

describe("inspection requests in URLs", () => {
  it("round-trips every request through its URL parameters", () => {
    fc.assert(
      fc.property(requests, (request) => {
        const params = new URLSearchParams(requestToParams(request).toString());
        expect(requestFromParams(params, context)).toEqual(request);
      }),
    );
  });

  it.each([
    ["shopper.id=1", /Unknown entity "shopper"\. This config's entities: user, order/],
    ["user.userId=", /Name at least one entity key/],
    ["user.name=x", /user key \{"name":"x"\} fails its schema/],
    ["user.userId=a&maxTokens=1.5", /maxTokens must be a positive integer; got "1\.5"/],
    ["user.userId=a&deadline=soon", /deadline must be a duration/],
    ["user.userId=a&format=html", /format must be markdown or xml; got "html"/],
    [
      "user.userId=a&sources=greeting,nope",
      /Unknown source "nope"\. This config's sources: greeting, status/,
    ],
    ["user.userId=a&limit=3", /Unknown parameter "limit"/],
  ])("rejects ?%s with what is valid", (search, message) => {
    let caught: unknown;
    try {
      requestFromParams(new URLSearchParams(search), context);
    } catch (error) {
      caught = error;
    }
    expect(isCtxError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it("parses repeated --key arguments into one key per entity, values kept verbatim", () => {
    fc.assert(
      fc.property(value, value, (shop, orderId) => {
        expect(parseKeyArguments([`order.shop=${shop}`, `order.orderId=${orderId}`], context)).toEqual({
          order: { shop, orderId },
        });
      }),
    );
    expect(parseKeyArguments(["user.userId=a=b"], context)).toEqual({ user: { userId: "a=b" } });
  });
});
