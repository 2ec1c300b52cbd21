// The demo shop's context definitions: a trail-running store's shopping assistant. Shared by the
// quickstart, the AI SDK and Next.js examples, so every example serves the same definitions.
import {
  batch,
  type ContextStore,
  createContextStore,
  defineEntity,
  empty,
  indexDocuments,
  localEmbedder,
  memoryVectorStore,
  type OnlineStore,
  realtime,
  section,
  stream,
  type VectorStore,
  vector,
} from "@ctxstore/core";
import { z } from "zod";
import { ARTICLES } from "./articles.js";

export const user = defineEntity("user", { key: z.object({ userId: z.string().min(1) }) });
export const session = defineEntity("session", { key: z.object({ sessionId: z.string().min(1) }) });
export const product = defineEntity("product", { key: z.object({ productId: z.string().min(1) }) });

export const ProfileSchema = z.object({
  name: z.string(),
  summary: z.string(),
  shoeSize: z.string(),
  preferences: z.array(z.string()),
});

export const OrderSchema = z.object({
  orders: z.array(z.object({ date: z.string(), item: z.string(), size: z.string(), status: z.string() })),
});

export const SessionEventSchema = z.object({
  type: z.enum(["view", "click", "add_to_cart", "search"]),
  productId: z.string().optional(),
  label: z.string(),
  at: z.string(),
});
export type SessionEvent = z.infer<typeof SessionEventSchema>;

export const InventorySchema = z.object({
  productId: z.string(),
  name: z.string(),
  sizes: z.record(z.string(), z.number().int().nonnegative()),
});

export const LoyaltySchema = z.object({
  tier: z.enum(["Member", "Silver", "Gold"]),
  points: z.number().int(),
});

/** In-memory "warehouse" for the realtime inventory lookup. */
export const WAREHOUSE: Record<string, { name: string; sizes: Record<string, number> }> = {
  "trail-runner-x": { name: "Trail Runner X", sizes: { "42": 3, "42.5": 0, "43": 7 } },
  "summit-gtx": { name: "Summit GTX", sizes: { "42": 0, "43": 2 } },
  "road-glide-3": { name: "Road Glide 3", sizes: { "41": 5, "42": 12 } },
};

export interface ShopSources {
  readonly profile: ReturnType<typeof defineProfile>;
  readonly orders: ReturnType<typeof defineOrders>;
  readonly activity: ReturnType<typeof defineActivity>;
  readonly inventory: ReturnType<typeof defineInventory>;
  readonly loyalty: ReturnType<typeof defineLoyalty>;
  readonly helpCenter: ReturnType<typeof defineHelpCenter>;
}

function defineProfile() {
  return batch("customer_profile", {
    entity: user,
    schema: ProfileSchema,
    maxAge: "2d",
    section: section("Customer profile", { maxTokens: 300 }),
    priority: 90,
    label: "customer profile",
    render: (profile) =>
      `${profile.name}. ${profile.summary} Usual shoe size: EU ${profile.shoeSize}. Preferences: ${profile.preferences.join(", ")}.`,
    renderEmpty: (reason) =>
      `New customer: no profile yet (${reason ?? "nothing computed for them"}). This is known, not missing data.`,
  });
}

function defineOrders() {
  return batch("order_history", {
    entity: user,
    schema: OrderSchema,
    maxAge: "2d",
    section: "Customer profile",
    priority: 85,
    label: "order history",
    render: (history) =>
      history.orders.map((order) => `${order.date}: ${order.item} (EU ${order.size}) — ${order.status}`),
    renderEmpty: (reason) =>
      `Order history: none — ${reason ?? "this customer has placed no orders"} (a confirmed fact).`,
  });
}

function defineActivity() {
  return stream("session_activity", {
    entity: session,
    schema: SessionEventSchema,
    window: 10,
    maxAge: "30m",
    section: "This session",
    priority: 70,
    label: "session activity",
    eventTime: (event) => event.at,
    render: (event) => `${event.at.slice(11, 16)} ${event.type.replaceAll("_", " ")}: ${event.label}`,
  });
}

function defineInventory(latencyMs: number) {
  return realtime("live_inventory", {
    entity: product,
    schema: InventorySchema,
    timeout: "80ms",
    section: "Live inventory",
    priority: 60,
    label: "live inventory",
    resolve: async ({ productId }, { signal }) => {
      await sleep(latencyMs, signal);
      const item = WAREHOUSE[productId];
      if (!item) return empty(`we do not stock a product with id ${productId}`);
      return { productId, name: item.name, sizes: item.sizes };
    },
    render: (stock) => [
      `${stock.name} (${stock.productId}), units in stock by EU size: ${Object.entries(stock.sizes)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([size, units]) => `${size}: ${units === 0 ? "sold out" : units}`)
        .join(", ")}`,
    ],
  });
}

function defineLoyalty(latencyMs: number) {
  return realtime("loyalty_status", {
    entity: user,
    schema: LoyaltySchema,
    timeout: "50ms",
    section: "Loyalty",
    priority: 55,
    label: "loyalty status",
    onUnavailable: "note",
    // The loyalty service in this demo is overloaded: it answers after the timeout, so the lookup
    // times out and the prompt says "unknown" (never "no loyalty status").
    resolve: async (_key, { signal }) => {
      await sleep(latencyMs, signal);
      return { tier: "Gold" as const, points: 1240 };
    },
    render: (loyalty) => `Loyalty tier ${loyalty.tier}, ${loyalty.points} points.`,
  });
}

function defineHelpCenter(store: VectorStore) {
  return vector("help_center", {
    store,
    embedder: shopEmbedder,
    topK: 4,
    minScore: 0.12,
    timeout: "100ms",
    section: "Relevant help articles",
    priority: 50,
    label: "help-center search",
  });
}

const shopEmbedder = localEmbedder({ dimensions: 384 });

export interface ShopContext {
  readonly ctx: ContextStore;
  readonly sources: ShopSources;
  readonly articles: VectorStore;
  /** Writes the demo customers, session events and help-center index. */
  seed(): Promise<void>;
}

export interface ShopContextOptions {
  online?: OnlineStore;
  now?: () => number;
  /** Latency of the inventory service (default 20 ms). */
  inventoryLatencyMs?: number;
  /** Latency of the loyalty service (default 200 ms: longer than its 50 ms timeout). */
  loyaltyLatencyMs?: number;
  deadline?: `${number}ms`;
}

export async function createShopContext(options: ShopContextOptions = {}): Promise<ShopContext> {
  const articles = memoryVectorStore({ dimensions: shopEmbedder.dimensions, embedder: shopEmbedder });
  const sources: ShopSources = {
    profile: defineProfile(),
    orders: defineOrders(),
    activity: defineActivity(),
    inventory: defineInventory(options.inventoryLatencyMs ?? 20),
    loyalty: defineLoyalty(options.loyaltyLatencyMs ?? 200),
    helpCenter: defineHelpCenter(articles),
  };
  const now = options.now ?? Date.now;
  const ctx = createContextStore({
    sources: Object.values(sources),
    ...(options.online ? { online: options.online } : {}),
    now,
    deadline: options.deadline ?? "150ms",
  });
  await ctx.ready();
  return {
    ctx,
    sources,
    articles,
    async seed() {
      const at = (minutesAgo: number) => new Date(now() - minutesAgo * 60_000).toISOString();
      await ctx.write(
        sources.profile,
        { userId: "ana" },
        {
          name: "Ana Lima",
          summary:
            "Trail runner training for a 50 km mountain race in the spring; runs 4 times a week, mostly on rocky trails.",
          shoeSize: "42",
          preferences: ["wide toe box", "waterproof in winter", "prefers email over SMS"],
        },
        { eventTime: now() - 6 * 3_600_000 },
      );
      await ctx.write(
        sources.orders,
        { userId: "ana" },
        {
          orders: [
            { date: "2026-09-02", item: "Road Glide 3", size: "42", status: "delivered" },
            { date: "2026-10-14", item: "Alpine Merino Sock (3 pack)", size: "M", status: "delivered" },
            { date: "2026-11-08", item: "Summit GTX", size: "42", status: "returned: too narrow" },
          ],
        },
        { eventTime: now() - 6 * 3_600_000 },
      );
      await ctx.write(sources.profile, { userId: "new-visitor" }, empty("first visit, signed up today"));
      await ctx.write(
        sources.orders,
        { userId: "new-visitor" },
        empty("this customer has placed no orders yet"),
      );
      const events: SessionEvent[] = [
        { type: "search", label: 'searched "wide trail shoes"', at: at(9) },
        { type: "view", productId: "summit-gtx", label: "Summit GTX", at: at(8) },
        { type: "view", productId: "trail-runner-x", label: "Trail Runner X", at: at(6) },
        { type: "click", productId: "trail-runner-x", label: "size guide on Trail Runner X", at: at(5) },
        { type: "add_to_cart", productId: "trail-runner-x", label: "Trail Runner X, EU 42.5", at: at(2) },
      ];
      for (const event of events) await ctx.append(sources.activity, { sessionId: "s-ana-1" }, event);
      await indexDocuments(
        ARTICLES.map((article) => ({
          id: article.id,
          text: article.text,
          title: article.title,
          url: article.url,
        })),
        { store: articles, embedder: shopEmbedder, source: "help_center" },
      );
    },
  };
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
