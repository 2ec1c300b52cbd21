// The server's one context store: the shared shop definitions (profile and orders in the batch tier,
// the session's events in the stream tier, live inventory and loyalty in the realtime tier, the help
// center in the vector tier) over Redis. Kept on globalThis so every route bundle and every hot reload
// shares one Redis connection. Node.js runtime only: ioredis needs TCP sockets (see the README).

import { redisStore } from "@ctxstore/redis";
import { createShopContext, type ShopContext } from "@ctxstore-examples/quickstart/shop";

/** The example's own Redis (started by `pnpm redis`), never the machine's default 6379. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6390";

interface ShopState {
  shop: Promise<ShopContext>;
  seeding: Promise<void> | undefined;
  seeded: boolean;
}

const holder = globalThis as typeof globalThis & { __ctxstoreNextShop?: ShopState };

function state(): ShopState {
  holder.__ctxstoreNextShop ??= {
    shop: createShopContext({
      // Reads are bounded by each request's assembly deadline (400 ms below), which reports a slow
      // or absent Redis as unavailable; the store's 1 s command timeout bounds writes (events, seeding).
      // Reconnect attempts stay frequent so the shop recovers within half a second of Redis returning.
      online: redisStore({ url: REDIS_URL, connectTimeoutMs: 1000, reconnect: { maxDelayMs: 500 } }),
      deadline: "400ms",
      // The demo's simulated services: inventory answers in 20 ms, loyalty in 200 ms (past its 50 ms
      // timeout, to show a realtime timeout in the trace). The benchmark sets both to 0.
      ...latency("inventoryLatencyMs", process.env.SHOP_INVENTORY_LATENCY_MS),
      ...latency("loyaltyLatencyMs", process.env.SHOP_LOYALTY_LATENCY_MS),
    }),
    seeding: undefined,
    seeded: false,
  };
  return holder.__ctxstoreNextShop;
}

function latency<Name extends string>(name: Name, value: string | undefined): Partial<Record<Name, number>> {
  const milliseconds = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(milliseconds) && milliseconds >= 0
    ? ({ [name]: milliseconds } as Record<Name, number>)
    : {};
}

/**
 * The shop, seeded with the demo customers and the help-center index. Seeding needs Redis; if it is
 * down the app still serves (with the context reported unavailable) and seeding is retried on the
 * next request.
 */
export async function getShop(): Promise<ShopContext> {
  const current = state();
  const shop = await current.shop;
  if (!current.seeded) {
    current.seeding ??= shop
      .seed()
      .then(() => {
        current.seeded = true;
      })
      .catch((error: unknown) => {
        console.warn(
          `next-shop: could not seed the demo data yet (${error instanceof Error ? error.message : String(error)}); retrying on the next request.`,
        );
      })
      .finally(() => {
        current.seeding = undefined;
      });
    await current.seeding;
  }
  return shop;
}
