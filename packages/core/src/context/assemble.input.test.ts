// assemble() with bad input, values that are not JSON data, and the write path's expiry and
// watermarks. The rest of assemble's behaviour is in assemble.test.ts.
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity, memoryStore, realtime, section, stream } from "../index.js";
import {
  activity,
  activityOptions,
  budget,
  contextWith,
  keys,
  NOW,
  profile,
  session,
  user,
} from "./assemble.fixtures.js";

describe("bad input", () => {
  it.each([0, -5, 1.5, Number.NaN, "100"])("budget %s is CTX_INVALID_BUDGET", async (maxTokens) => {
    const ctx = await contextWith([profile]);
    await expect(ctx.assemble({ keys, budget: { maxTokens: maxTokens as number } })).rejects.toMatchObject({
      code: "CTX_INVALID_BUDGET",
    });
  });

  it("a budget too small for required content is CTX_BUDGET_TOO_SMALL naming it", async () => {
    const required = batch("profile", { entity: user, schema: z.string(), section: "P", required: true });
    const ctx = await contextWith([required]);
    await ctx.write(
      required,
      { userId: "u1" },
      "A long required profile that certainly needs more than five tokens to say.",
    );
    const error = await ctx.assemble({ keys, budget: { maxTokens: 5 } }).catch((caught) => caught);
    expect(error.code).toBe("CTX_BUDGET_TOO_SMALL");
    expect(error.message).toContain("profile");
  });

  it("keys that do not match the entity schema, and unknown entities", async () => {
    const ctx = await contextWith([profile]);
    await expect(ctx.assemble({ keys: { user: { userId: "" } }, budget })).rejects.toMatchObject({
      code: "CTX_INVALID_KEY",
    });
    await expect(ctx.assemble({ keys: { tenant: { id: 1 } }, budget })).rejects.toMatchObject({
      code: "CTX_UNKNOWN_ENTITY",
    });
    // @ts-expect-error: a wrong key shape is a compile error; untyped callers still get CTX_INVALID_KEY
    await expect(ctx.write(profile, { user: "u1" }, { summary: "x" })).rejects.toMatchObject({
      code: "CTX_INVALID_KEY",
    });
  });

  it("invalid definitions throw typed errors naming the offender", () => {
    expect(() => createContextStore({ sources: [profile, profile] })).toThrow(
      /CTX_DUPLICATE_SOURCE.*profile/,
    );
    expect(() => createContextStore({ sources: [] })).toThrow(/CTX_INVALID_DEFINITION/);
    expect(() =>
      batch("x", { entity: user, schema: z.string(), section: "S", maxAge: "2 days" as never }),
    ).toThrow(/CTX_INVALID_DURATION/);
    expect(() => batch("x", { entity: user, schema: z.string(), section: "S", maxAge: -1 })).toThrow(
      /CTX_INVALID_DURATION/,
    );
    expect(() =>
      realtime("x", { entity: user, schema: z.string(), section: "S", resolve: async () => "v" } as never),
    ).toThrow(/needs a `timeout`/);
    expect(() => batch("Bad Name", { entity: user, schema: z.string(), section: "S" })).toThrow(
      /lower_snake_case/,
    );
    expect(() => createContextStore({ sources: [profile], entities: [session] })).toThrow(
      /CTX_UNKNOWN_ENTITY.*user/,
    );
    const conflicting = batch("other", {
      entity: user,
      schema: z.string(),
      section: section("User profile", { maxTokens: 10 }),
    });
    const conflicting2 = batch("other2", {
      entity: user,
      schema: z.string(),
      section: section("User profile", { maxTokens: 20 }),
    });
    expect(() => createContextStore({ sources: [conflicting, conflicting2] })).toThrow(/maxTokens 10.*20/);
    const otherUser = defineEntity("user", { key: z.object({ id: z.string() }) });
    expect(() =>
      createContextStore({
        sources: [profile, batch("p2", { entity: otherUser, schema: z.string(), section: "S" })],
      }),
    ).toThrow(/Two different entities/);
  });
});

describe("values are JSON data", () => {
  it("a Date or NaN in a value is CTX_INVALID_VALUE at write time, naming the path, nothing written", async () => {
    const loose = batch("loose", {
      entity: user,
      schema: z.object({ at: z.unknown(), n: z.number().or(z.nan()).optional() }),
      section: "L",
    });
    const ctx = await contextWith([loose]);
    await expect(ctx.write(loose, { userId: "u1" }, { at: new Date() })).rejects.toThrow(
      /CTX_INVALID_VALUE.*value\.at.*Date/,
    );
    await expect(ctx.write(loose, { userId: "u1" }, { at: "x", n: Number.NaN })).rejects.toThrow(/value\.n/);
    expect((await ctx.assemble({ keys, budget })).values.loose?.status).toBe("missing");
  });

  it("mutating the written object afterwards does not change what is served", async () => {
    const ctx = await contextWith([profile]);
    const value = { summary: "Original." };
    await ctx.write(profile, { userId: "u1" }, value);
    value.summary = "Mutated.";
    expect((await ctx.assemble({ keys, budget })).text).toContain("Original.");
  });
});

describe("expiry and watermarks on the write path", () => {
  it("windows never expire from maxAge (that would read as a confirmed-empty window); only from retention", async () => {
    const ctx = await contextWith([activity, profile]);
    expect(ctx.toWindowAppend(activity, { sessionId: "s1" }, { action: "a" }).ttlMs).toBeUndefined();
    expect(ctx.toValueWrite(profile, { userId: "u1" }, { summary: "x" }).ttlMs).toBe(4 * 86_400_000);
    const retained = stream("retained", { ...activityOptions, retention: "1d" });
    const withRetention = await contextWith([retained]);
    expect(withRetention.toWindowAppend(retained, { sessionId: "s1" }, { action: "a" }).ttlMs).toBe(
      86_400_000,
    );
    const unbounded = batch("forever", { entity: session, schema: z.string(), section: "F" });
    const mixed = await contextWith([retained, unbounded]);
    expect(mixed.toWindowAppend(retained, { sessionId: "s1" }, { action: "a" }).ttlMs).toBeUndefined();
  });

  it("direct appends raise the stream watermark at most once a second", async () => {
    let now = NOW;
    const online = memoryStore();
    const raise = vi.spyOn(online, "setWatermark");
    const ctx = createContextStore({ sources: [activity], online, now: () => now });
    await ctx.append(activity, { sessionId: "s1" }, { action: "a" });
    now += 500;
    await ctx.append(activity, { sessionId: "s1" }, { action: "b" });
    now += 600;
    await ctx.append(activity, { sessionId: "s1" }, { action: "c" });
    expect(raise.mock.calls.map(([, time]) => time)).toEqual([NOW, NOW + 1100]);
  });
});
