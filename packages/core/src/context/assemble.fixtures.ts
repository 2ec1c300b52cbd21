// Shared definitions for the assemble tests (assemble.test.ts, assemble.input.test.ts): two
// entities, a batch profile, a stream of activity, realtime sources, and a context store on them.
import { z } from "zod";
import {
  batch,
  createContextStore,
  defineEntity,
  memoryStore,
  type OnlineStore,
  realtime,
  stream,
} from "../index.js";

export const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
export const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
export const NOW = Date.parse("2026-11-21T12:00:00Z");
export const clock = () => NOW;

export const profile = batch("profile", {
  entity: user,
  schema: z.object({ summary: z.string() }),
  maxAge: "2d",
  section: "User profile",
  priority: 90,
  render: (value) => value.summary,
  renderEmpty: () => "No profile: a brand-new user.",
});
export const activityOptions = {
  entity: session,
  schema: z.object({ action: z.string() }),
  window: 3,
  maxAge: "10m",
  section: "Recent activity",
  priority: 70,
  render: (event: { action: string }) => event.action,
} as const;
export const activity = stream("activity", activityOptions);

export function realtimeSource(
  name: string,
  resolve: (key: { userId: string }, context: { signal: AbortSignal }) => unknown,
  extra: Record<string, unknown> = {},
) {
  return realtime(name, {
    entity: user,
    schema: z.object({ tier: z.string() }),
    timeout: "40ms",
    section: "Live",
    priority: 60,
    resolve: resolve as never,
    render: (value: { tier: string }) => `Tier: ${value.tier}`,
    renderEmpty: () => `${name}: confirmed none.`,
    ...extra,
  });
}

export async function contextWith(
  sources: Parameters<typeof createContextStore>[0]["sources"],
  online: OnlineStore = memoryStore(),
) {
  const ctx = createContextStore({
    sources,
    entities: [user, session],
    online,
    now: clock,
    deadline: "300ms",
  });
  await ctx.ready();
  return ctx;
}

export const keys = { user: { userId: "u1" }, session: { sessionId: "s1" } };
export const budget = { maxTokens: 500 };
