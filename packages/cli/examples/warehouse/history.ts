// One night of the warehouse example's history: a profile and an order count per customer, with a
// share of zero order counts (a broken upstream job), appended to the offline store in one go.
import { duckdbOfflineStore } from "@ctxstore/duckdb";
import { customerProfile, orderCount, SOURCES } from "./definitions.js";

export interface NightOptions {
  /** DuckDB file of the offline store. */
  path: string;
  customers: number;
  /** Share (0..1) of customers whose order count is written as 0. Default 0. */
  emptyShare?: number;
  /** Event time of every value. Default: six hours ago. */
  eventTime?: number;
  /** Text of every profile summary (tells nights apart). */
  note?: string;
}

export async function recordNight(options: NightOptions): Promise<number> {
  const offline = await duckdbOfflineStore({ path: options.path, sources: SOURCES });
  try {
    const eventTime = options.eventTime ?? Date.now() - 6 * 3_600_000;
    const emptyShare = options.emptyShare ?? 0;
    let rows = 0;
    for (let start = 1; start <= options.customers; start += 10_000) {
      const entries = [];
      for (let index = start; index < start + 10_000 && index <= options.customers; index += 1) {
        const key = { customerId: `c${index}` };
        entries.push(
          {
            source: customerProfile,
            key,
            value: {
              name: `Customer ${index}`,
              summary: options.note ?? `Buys trail gear; customer number ${index}.`,
            },
            eventTime,
          },
          {
            source: orderCount,
            key,
            value: { orders: index / options.customers <= emptyShare ? 0 : 1 + (index % 7) },
            eventTime,
          },
        );
      }
      rows += (await offline.record(entries)).rows;
    }
    return rows;
  } finally {
    await offline.close();
  }
}
