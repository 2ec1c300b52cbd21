// Type tests for typed keys (checked by `tsc --noEmit`, i.e. `npm run typecheck`): a context store
// built from definitions types `assemble({ keys })`, `write` and `append` from the entities' zod key
// schemas, so an unknown entity name or a wrong key shape does not compile.
import { expectTypeOf } from "vitest";
import { z } from "zod";
import {
  type AssembleRequest,
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  type KeysOf,
  stream,
} from "../index.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const profile = batch("profile", { entity: user, schema: z.object({ summary: z.string() }), section: "P" });
const activity = stream("activity", {
  entity: session,
  schema: z.object({ action: z.string() }),
  window: 5,
  section: "A",
});
const ctx = createContextStore({ sources: [profile, activity] });
const budget = { maxTokens: 100 };

export async function typedKeys(): Promise<void> {
  expectTypeOf<KeysOf<[typeof profile, typeof activity]>>().toEqualTypeOf<{
    readonly user?: { userId: string };
    readonly session?: { sessionId: string };
  }>();

  await ctx.assemble({ keys: { user: { userId: "u1" }, session: { sessionId: "s9" } }, budget });
  await ctx.assemble({ keys: { user: { userId: "u1" } }, budget, deadline: undefined, query: undefined });
  // @ts-expect-error: no source uses an entity named "custmer"
  await ctx.assemble({ keys: { custmer: { userId: "u1" } }, budget });
  // @ts-expect-error: the user key is { userId: string }
  await ctx.assemble({ keys: { user: { id: "u1" } }, budget });
  // @ts-expect-error: the user key's userId is a string
  await ctx.assemble({ keys: { user: { userId: 7 } }, budget });

  await ctx.write(profile, { userId: "u1" }, { summary: "Runs." });
  // @ts-expect-error: profile's entity is user, whose key is { userId }
  await ctx.write(profile, { sessionId: "s9" }, { summary: "Runs." });
  // @ts-expect-error: the value must match profile's schema
  await ctx.write(profile, { userId: "u1" }, { summary: 1 });

  await ctx.append(activity, { sessionId: "s9" }, { action: "viewed" });
  // @ts-expect-error: activity's entity is session, whose key is { sessionId }
  await ctx.append(activity, { userId: "u1" }, { action: "viewed" });

  // A typed store is still a ContextStore for adapters, which take untyped keys.
  expectTypeOf(ctx).toExtend<ContextStore>();
  expectTypeOf<AssembleRequest["keys"]>().toEqualTypeOf<Readonly<Record<string, unknown>>>();
}
