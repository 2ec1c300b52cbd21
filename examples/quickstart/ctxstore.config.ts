// The quickstart's config for the `ctxstore` command (docs/cli.md): the demo shop on the embedded
// default stores, seeded on load (memory stores start empty in every process), plus three named
// requests the inspector offers as presets:
//   returning: Ana — profile, orders, live session and inventory are facts; loyalty times out.
//   new:       a first-time visitor — the empty profile and order history are stated as facts.
//   lapsed:    a customer whose profile was last computed 3 days ago (maxAge 2d): stale.
// Try: npx ctxstore explain --request returning
//      npx ctxstore explain --key user.userId=ana --key session.sessionId=s-ana-1 --query "trail shoes"
//      npx ctxstore inspect
import { empty } from "@ctxstore/core";
import { SCENARIOS } from "./src/scenarios.js";
import { createShopContext } from "./src/shop.js";

const DAY = 86_400_000;

export default async function config() {
  const shop = await createShopContext();
  await shop.seed();
  const { ctx, sources } = shop;
  await ctx.write(
    sources.profile,
    { userId: "lapsed" },
    {
      name: "Sam Ortiz",
      summary: "Road runner who asked about a first trail race last spring.",
      shoeSize: "44",
      preferences: ["neutral cushioning"],
    },
    { eventTime: Date.now() - 3 * DAY },
  );
  await ctx.write(sources.orders, { userId: "lapsed" }, empty("no orders in the last 12 months"));
  const [returning, newcomer] = SCENARIOS;
  return {
    context: ctx,
    requests: {
      returning: { title: returning?.title, ...returning?.request, maxTokens: 600 },
      new: { title: newcomer?.title, ...newcomer?.request, maxTokens: 600 },
      lapsed: {
        title: "(c) A lapsed customer whose profile is three days old",
        keys: { user: { userId: "lapsed" }, product: { productId: "road-glide-3" } },
        query: "Which trail shoe suits a road runner?",
        maxTokens: 600,
      },
    },
  };
}
