// A Feast registry file built in the test with the same protobuf library (no Feast registry is
// shipped): the golden fixtures' views and entities, as `feast apply` would record them.
import { create, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  EntitySchema,
  EntitySpecV2Schema,
  FeatureSpecV2Schema,
  FeatureViewMetaSchema,
  FeatureViewSchema,
  FeatureViewSpecSchema,
  OnDemandFeatureViewSchema,
  OnDemandFeatureViewSpecSchema,
  RegistrySchema,
  StreamFeatureViewSchema,
  StreamFeatureViewSpecSchema,
} from "../src/proto/feast/core/registry_pb.js";
import { ValueType_Enum as T } from "../src/proto/feast/types/value_pb.js";

const spec = (name: string, valueType: T, description = "") =>
  create(FeatureSpecV2Schema, { name, valueType, description });

export function goldenRegistry(): Uint8Array {
  const registry = create(RegistrySchema, {
    registrySchemaVersion: "1",
    versionId: "test",
    entities: [
      create(EntitySchema, {
        spec: create(EntitySpecV2Schema, {
          name: "driver",
          project: "demo",
          joinKey: "driver_id",
          valueType: T.INT64,
        }),
      }),
      create(EntitySchema, {
        spec: create(EntitySpecV2Schema, {
          name: "customer",
          project: "shop",
          joinKey: "customer_id",
          valueType: T.STRING,
        }),
      }),
      create(EntitySchema, {
        spec: create(EntitySpecV2Schema, {
          name: "user",
          project: "shop",
          joinKey: "user_id",
          valueType: T.INT64,
        }),
      }),
      create(EntitySchema, {
        spec: create(EntitySpecV2Schema, {
          name: "merchant",
          project: "shop",
          joinKey: "merchant_id",
          valueType: T.STRING,
        }),
      }),
    ],
    featureViews: [
      create(FeatureViewSchema, {
        spec: create(FeatureViewSpecSchema, {
          name: "driver_hourly_stats",
          project: "demo",
          entities: ["driver"],
          // No entity columns: the join key comes from the entity (older registries).
          features: [
            spec("conv_rate", T.DOUBLE, "Share of offers accepted */ closed"),
            spec("acc_rate", T.FLOAT),
            spec("avg_daily_trips", T.INT64),
          ],
          ttl: create(DurationSchema, { seconds: 86_400n }),
          online: true,
          description: "Hourly driver statistics.",
        }),
      }),
      create(FeatureViewSchema, {
        spec: create(FeatureViewSpecSchema, {
          name: "customer_profile",
          project: "shop",
          entities: ["customer"],
          entityColumns: [spec("customer_id", T.STRING)],
          features: [
            spec("age", T.INT32),
            spec("tier", T.STRING),
            spec("tags", T.STRING_LIST),
            spec("prefs", T.JSON),
          ],
          online: true,
        }),
        meta: create(FeatureViewMetaSchema, { currentVersionNumber: 2 }),
      }),
      create(FeatureViewSchema, {
        spec: create(FeatureViewSpecSchema, {
          name: "user_merchant_stats",
          project: "shop",
          entities: ["user", "merchant"],
          entityColumns: [spec("user_id", T.INT64), spec("merchant_id", T.STRING)],
          features: [
            spec("txn_count", T.INT32),
            spec("top_categories", T.STRING_LIST),
            spec("weird", T.INT64_SET),
          ],
          online: true,
        }),
      }),
      create(FeatureViewSchema, {
        spec: create(FeatureViewSpecSchema, {
          name: "broken_types",
          project: "shop",
          entities: ["customer"],
          entityColumns: [spec("customer_id", T.STRING)],
          features: [spec("nothing", T.NULL)],
          online: true,
        }),
      }),
    ],
    streamFeatureViews: [
      create(StreamFeatureViewSchema, {
        spec: create(StreamFeatureViewSpecSchema, {
          name: "driver_live",
          project: "demo",
          entities: ["driver"],
          entityColumns: [spec("driver_id", T.INT64)],
          features: [spec("trips_today", T.INT64)],
          ttl: create(DurationSchema, { seconds: 600n }),
          online: true,
        }),
      }),
    ],
    onDemandFeatureViews: [
      create(OnDemandFeatureViewSchema, {
        spec: create(OnDemandFeatureViewSpecSchema, {
          name: "conv_rate_plus",
          project: "demo",
          features: [spec("conv_rate_plus_val", T.DOUBLE)],
          entities: ["driver"],
        }),
      }),
      create(OnDemandFeatureViewSchema, {
        spec: create(OnDemandFeatureViewSpecSchema, {
          name: "conv_rate_stored",
          project: "demo",
          features: [spec("conv_rate_x2", T.DOUBLE)],
          entities: ["driver"],
          entityColumns: [spec("driver_id", T.INT64)],
          writeToOnlineStore: true,
        }),
      }),
    ],
  });
  return toBinary(RegistrySchema, registry);
}
