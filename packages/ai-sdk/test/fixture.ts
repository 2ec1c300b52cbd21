// A small shop context for the middleware suite: a required customer profile (batch), session
// events (stream), live stock (realtime, fast) and a loyalty lookup that always times out (realtime,
// `note` policy), on the embedded memory store with a fixed clock.
import { batch, createContextStore, defineEntity, empty, realtime, stream } from "@ctxstore/core";
import { z } from "zod";

export const NOW = Date.parse("2026-11-21T12:00:00Z");

export const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
export const session = defineEntity("session", { key: z.object({ sessionId: z.string().min(1) }) });
export const product = defineEntity("product", { key: z.object({ productId: z.string().min(1) }) });

export const profile = batch("customer_profile", {
  entity: user,
  schema: z.object({ name: z.string(), summary: z.string() }),
  maxAge: "2d",
  section: "Customer profile",
  priority: 90,
  required: true,
  render: (value) => `${value.name}. ${value.summary}`,
});

export const activity = stream("session_activity", {
  entity: session,
  schema: z.object({ label: z.string(), at: z.string() }),
  window: 5,
  maxAge: "30m",
  section: "This session",
  priority: 70,
  eventTime: (event) => event.at,
  render: (event) => `${event.at.slice(11, 16)} ${event.label}`,
});

const STOCK: Record<string, Record<string, number>> = { "trail-runner-x": { "42": 3, "43": 0 } };

export const stock = realtime("live_stock", {
  entity: product,
  schema: z.object({ sizes: z.record(z.string(), z.number()) }),
  timeout: "100ms",
  section: "Live inventory",
  priority: 60,
  resolve: ({ productId }) => {
    const sizes = STOCK[productId];
    return sizes ? { sizes } : empty(`we do not stock ${productId}`);
  },
  render: (value) =>
    `Units by EU size: ${Object.entries(value.sizes)
      .map(([size, units]) => `${size}: ${units}`)
      .join(", ")}`,
});

/** Never answers before its timeout: the prompt must say "unknown", never "no loyalty status". */
export const loyalty = realtime("loyalty_status", {
  entity: user,
  schema: z.object({ tier: z.string() }),
  timeout: "25ms",
  section: "Loyalty",
  priority: 55,
  onUnavailable: "note",
  label: "loyalty status",
  resolve: (_key, { signal }) =>
    new Promise<{ tier: string }>((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
    ),
});

export const KEYS = {
  user: { userId: "ana" },
  session: { sessionId: "s1" },
  product: { productId: "trail-runner-x" },
};

export async function createShop() {
  const ctx = createContextStore({
    sources: [profile, activity, stock, loyalty],
    now: () => NOW,
    deadline: "300ms",
  });
  await ctx.ready();
  await ctx.write(
    profile,
    { userId: "ana" },
    { name: "Ana Lima", summary: "Trail runner, EU 42, wide feet." },
    { eventTime: NOW - 3_600_000 },
  );
  await ctx.append(
    activity,
    { sessionId: "s1" },
    { label: "viewed Trail Runner X", at: new Date(NOW - 120_000).toISOString() },
  );
  await ctx.append(
    activity,
    { sessionId: "s1" },
    { label: "opened the size guide", at: new Date(NOW - 60_000).toISOString() },
  );
  return ctx;
}
