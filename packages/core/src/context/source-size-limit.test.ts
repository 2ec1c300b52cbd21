// A source's own `maxValueBytes` (#15): it bounds what `write`/`append` accept and what a realtime
// answer may be, in place of the context store's limit. Over it: a typed error and nothing written,
// or `invalid` with the reason; never a partial value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  batch,
  createContextStore,
  defineEntity,
  isCtxError,
  memoryStore,
  realtime,
  stream,
} from "../index.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const utf8Size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const bio = batch("bio", {
  entity: user,
  schema: z.string(),
  section: "Bio",
  maxValueBytes: 64,
});
const essay = batch("essay", { entity: user, schema: z.string(), section: "Essay", maxValueBytes: 4_096 });
const events = stream("events", {
  entity: user,
  schema: z.string(),
  window: 5,
  section: "Events",
  maxValueBytes: 32,
});

async function writeStore() {
  const ctx = createContextStore({
    sources: [bio, essay, events],
    online: memoryStore(),
    maxValueBytes: 1_024,
  });
  await ctx.ready();
  return ctx;
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("a source's maxValueBytes", () => {
  it("is checked when the source is defined", () => {
    for (const maxValueBytes of [0, -1, 1.5, Number.NaN, "64" as unknown as number]) {
      const error = caught(() =>
        batch("bad", { entity: user, schema: z.string(), section: "Bad", maxValueBytes }),
      );
      expect(isCtxError(error) && error.code === "CTX_INVALID_DEFINITION").toBe(true);
      expect((error as Error).message).toMatch(/maxValueBytes` must be a whole number of bytes > 0/);
    }
  });

  it("a write over the source's limit (below the store's) is refused, naming the limit and how to raise it; the stored value stays", async () => {
    const ctx = await writeStore();
    await ctx.write(bio, { userId: "u1" }, "short and true");
    const tooLong = "x".repeat(63); // 65 bytes as JSON
    await expect(ctx.write(bio, { userId: "u1" }, tooLong)).rejects.toMatchObject({
      code: "CTX_VALUE_TOO_LARGE",
      details: { source: "bio", size: 65, limit: 64 },
      message: expect.stringMatching(
        /65 bytes, over the 64-byte limit; nothing was written.*raise maxValueBytes on source "bio"/,
      ),
    });
    const result = await ctx.assemble({
      keys: { user: { userId: "u1" } },
      budget: { maxTokens: 200 },
      sources: ["bio"],
    });
    expect(result.values.bio?.value).toBe("short and true");
    expect(result.text).not.toContain("xxx");
  });

  it("a source's limit above the store's lets a larger value in", async () => {
    const ctx = await writeStore();
    const long = "y".repeat(2_000);
    await expect(ctx.write(essay, { userId: "u1" }, long)).resolves.toMatchObject({ applied: true });
    await expect(ctx.write(essay, { userId: "u1" }, "y".repeat(4_095))).rejects.toMatchObject({
      details: { limit: 4_096 },
    });
  });

  it("an append over the stream's limit is refused and the window keeps its events", async () => {
    const ctx = await writeStore();
    await ctx.append(events, { userId: "u1" }, "viewed shoes", { eventTime: 1_000 });
    await expect(
      ctx.append(events, { userId: "u1" }, "z".repeat(40), { eventTime: 2_000 }),
    ).rejects.toMatchObject({ code: "CTX_VALUE_TOO_LARGE", details: { source: "events", limit: 32 } });
    const result = await ctx.assemble({
      keys: { user: { userId: "u1" } },
      budget: { maxTokens: 200 },
      sources: ["events"],
    });
    expect(result.text).toContain("viewed shoes");
    expect(result.text).not.toContain("zzz");
  });

  it("a realtime answer over its source's limit is invalid, with the limit and its source in the reason", async () => {
    const answer = "s".repeat(200); // 202 bytes as JSON
    const small = realtime("small", {
      entity: user,
      schema: z.string(),
      section: "Small",
      timeout: "5s",
      maxValueBytes: 100,
      resolve: () => answer,
    });
    const roomy = realtime("roomy", {
      entity: user,
      schema: z.string(),
      section: "Roomy",
      timeout: "5s",
      resolve: () => answer,
    });
    const ctx = createContextStore({ sources: [small, roomy], maxValueBytes: 1_000 });
    await ctx.ready();
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 400 } });
    expect(result.values.small?.status).toBe("invalid");
    expect(result.values.small?.reason).toBe(
      'answer is 202 bytes, over the 100-byte maxValueBytes limit: return a shorter value, or raise maxValueBytes on source "small"',
    );
    expect(result.values.roomy?.status).toBe("ok");
    const smallSection = result.sections.find((section) => section.title === "Small");
    expect(smallSection?.text).toBe(
      "## Small\nSmall: unknown — the lookup's answer failed validation. Do not assume there is none.\n",
    );
  });

  it("property: a write is accepted exactly when its JSON fits the source's limit, and a refused one changes nothing", async () => {
    const ctx = await writeStore();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: fc.constantFrom("a", "é", "€", "😀", '"', "\\", "\n"), maxLength: 40 }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (values) => {
          const key = { userId: `p${round++}` };
          let stored: string | undefined;
          for (const value of values) {
            const fits = utf8Size(value) <= 64;
            const outcome = await ctx.write(bio, key, value).then(
              () => "written",
              (error: unknown) => (isCtxError(error) ? error.code : "other"),
            );
            expect(outcome).toBe(fits ? "written" : "CTX_VALUE_TOO_LARGE");
            if (fits) stored = value;
            const [record] = (
              await ctx.online.read({
                records: [{ entity: "user", key: `userId=${key.userId}`, field: "bio@1", kind: "value" }],
              })
            ).records;
            expect(record?.kind === "value" ? record.envelope?.value : undefined).toBe(stored);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
