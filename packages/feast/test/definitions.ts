// Feast sources over the golden fixtures' feature views (shared by the service-backed tests and the
// benchmark), declared as a user would: entities with Feast join keys, feature types per feature.
import { batch, defineEntity } from "@ctxstore/core";
import { z } from "zod";
import { feastEntity, feastSource, feastType } from "../src/index.js";
import { golden, goldenFeature } from "./golden.js";

export const customer = defineEntity("customer", { key: z.object({ customer_id: z.string() }) });
export const customerKeys = feastEntity(customer, { customer_id: "string" });

// One driver id is 9007199254740993 (beyond 2^53): int64 join keys can be decimal strings.
export const driver = defineEntity("driver", { key: z.object({ driver_id: z.string().regex(/^-?\d+$/) }) });
export const driverKeys = feastEntity(driver, { driver_id: "int64" });

export const userMerchant = defineEntity("user_merchant", {
  key: z.object({ userId: z.number().int(), merchant_id: z.string() }),
});
export const userMerchantKeys = feastEntity(userMerchant, {
  user_id: { type: "int64", field: "userId" },
  merchant_id: "string",
});

export const city = defineEntity("city", { key: z.object({ città: z.string() }) });
export const cityKeys = feastEntity(city, { città: "string" });

export const shard = defineEntity("shard", { key: z.object({ shard: z.number().int() }) });
export const shardKeys = feastEntity(shard, { shard: "int32" });

export const device = defineEntity("device", { key: z.object({ device_hash: z.string() }) });
export const deviceKeys = feastEntity(device, { device_hash: "bytes" });

const fixture = (id: string) => {
  const found = golden.fixtures.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no golden fixture ${id}`);
  return found;
};

/** Every feature of a golden fixture, declared exactly (int64 as strings, bytes as hex, NULL allowed). */
function declaredFeatures(id: string) {
  return Object.fromEntries(
    fixture(id).features.map((feature) => [feature.feature, goldenFeature(feature.typed_value)]),
  );
}

export const customerProfile = feastSource("customer_profile", {
  entity: customerKeys,
  project: "shop",
  featureView: "customer_profile",
  features: declaredFeatures("shop/customer_profile#0"),
  section: "Customer profile",
});

export const customerFlags = feastSource("customer_flags", {
  entity: customerKeys,
  project: "shop",
  featureView: "customer_flags",
  features: declaredFeatures("shop/customer_flags#0"),
  section: "Customer profile",
});

export const customerProfileV2 = feastSource("customer_profile_v2", {
  entity: customerKeys,
  project: "shop",
  featureView: "customer_profile",
  featureViewVersion: 2,
  features: declaredFeatures("shop/customer_profile@v2#0"),
  section: "Customer profile",
});

export const typeZoo = feastSource("type_zoo", {
  entity: customerKeys,
  project: "shop",
  featureView: "type_zoo",
  features: declaredFeatures("shop/type_zoo#0"),
  section: "Types",
});

export const driverStats = feastSource("driver_hourly_stats", {
  entity: driverKeys,
  project: "demo",
  featureView: "driver_hourly_stats",
  features: {
    conv_rate: feastType.double(),
    acc_rate: feastType.float(),
    avg_daily_trips: feastType.int64({ as: "string" }),
  },
  section: "Driver",
});

export const userMerchantStats = feastSource("user_merchant_stats", {
  entity: userMerchantKeys,
  project: "shop",
  featureView: "user_merchant_stats",
  features: declaredFeatures("shop/user_merchant_stats#0"),
  section: "Merchant",
});

export const regionStats = feastSource("region_stats", {
  entity: cityKeys,
  project: "demo",
  featureView: "région_stats",
  features: declaredFeatures("demo/région_stats#0"),
  section: "Region",
});

export const shardStats = feastSource("shard_stats", {
  entity: shardKeys,
  project: "demo",
  featureView: "shard_stats",
  features: declaredFeatures("demo/shard_stats#0"),
  section: "Shard",
});

export const deviceStats = feastSource("device_stats", {
  entity: deviceKeys,
  project: "demo",
  featureView: "device_stats",
  features: declaredFeatures("demo/device_stats#0"),
  section: "Device",
});

/** Golden fixture id -> the source reading it and the request key of its entity row. */
export const goldenReads = [
  { id: "shop/customer_profile#0", source: customerProfile, key: { customer_id: "C1001" } },
  { id: "shop/customer_flags#0", source: customerFlags, key: { customer_id: "C1001" } },
  { id: "shop/customer_profile@v2#0", source: customerProfileV2, key: { customer_id: "C1001" } },
  { id: "shop/type_zoo#0", source: typeZoo, key: { customer_id: "C2002" } },
  { id: "demo/driver_hourly_stats#0", source: driverStats, key: { driver_id: "1005" } },
  { id: "demo/driver_hourly_stats#1", source: driverStats, key: { driver_id: "-42" } },
  { id: "demo/driver_hourly_stats#2", source: driverStats, key: { driver_id: "9007199254740993" } },
  { id: "shop/user_merchant_stats#0", source: userMerchantStats, key: { userId: 42, merchant_id: "m-9" } },
  { id: "demo/région_stats#0", source: regionStats, key: { città: "Zürich-東京-🙂" } },
  { id: "demo/shard_stats#0", source: shardStats, key: { shard: 7 } },
  { id: "demo/device_stats#0", source: deviceStats, key: { device_hash: "0001feff" } },
] as const;

export { fixture };

/** Ordinary ctxstore batch sources on the same customer entity (written by ctxstore itself). */
export const customerNotes = batch("customer_notes", {
  entity: customer,
  schema: z.object({ note: z.string() }),
  section: "Customer profile",
  render: (value) => value.note,
});
