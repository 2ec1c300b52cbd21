// Property: random typed features, written in Feast's format (feastRow), stored in a real
// redis-server and read back through withFeast, come back as the same values with the same event
// time, whatever the types, values, keys and views.
import { sourceField } from "@ctxstore/core/store";
import { redisStore } from "@ctxstore/redis";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FeastFeature, feastRow, feastSource, feastType, withFeast } from "../src/index.js";
import { customerKeys } from "./definitions.js";

const available = redisServerAvailable();

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
const finiteFloat = fc.float({ noNaN: true, noDefaultInfinity: true });
const seconds = fc
  .integer({ min: -2_000_000_000, max: 4_000_000_000 })
  .map((value) => new Date(value * 1000).toISOString());

/** A feature type together with values it can hold. */
const typed: Array<[() => FeastFeature, fc.Arbitrary<unknown>]> = [
  [() => feastType.int32(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
  [() => feastType.int64(), fc.maxSafeInteger()],
  [() => feastType.int64({ as: "string" }), fc.bigInt(INT64).map(String)],
  [() => feastType.double(), finiteDouble],
  [() => feastType.float(), finiteFloat],
  [() => feastType.string(), fc.string({ unit: "grapheme" })],
  [() => feastType.bool(), fc.boolean()],
  [() => feastType.bytes(), fc.uint8Array().map((bytes) => Buffer.from(bytes).toString("base64"))],
  [() => feastType.unixTimestamp(), seconds],
  [() => feastType.decimal(), fc.stringMatching(/^-?\d{1,20}\.\d{1,10}$/)],
  [() => feastType.json(), fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)))],
  [() => feastType.list("string"), fc.array(fc.string({ unit: "grapheme" }))],
  [() => feastType.list("int64", { int64: "string" }), fc.array(fc.bigInt(INT64).map(String))],
  [() => feastType.list("double"), fc.array(finiteDouble)],
  [() => feastType.set("bool"), fc.array(fc.boolean())],
  [() => feastType.list("unix_timestamp"), fc.array(seconds)],
  [() => feastType.double().orNull(), fc.option(finiteDouble, { nil: null })],
];

const row = fc
  .array(fc.integer({ min: 0, max: typed.length - 1 }), { minLength: 1, maxLength: 8 })
  .chain((choices) =>
    fc.record({
      choices: fc.constant(choices),
      values: fc.tuple(...choices.map((choice) => (typed[choice] as (typeof typed)[number])[1])),
      customerId: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
      eventTime: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    }),
  );

describe.skipIf(!available)("Feast format round trip (property, real redis-server)", () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("random typed features -> feastRow -> HSET -> withFeast read -> the same values and event time", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(row, async ({ choices, values, customerId, eventTime }) => {
        run += 1;
        const features: Record<string, FeastFeature> = {};
        const value: Record<string, unknown> = {};
        choices.forEach((choice, index) => {
          features[`f${index}_${choice}`] = (typed[choice] as (typeof typed)[number])[0]();
          value[`f${index}_${choice}`] = values[index];
        });
        const source = feastSource(`prop_${run}`, {
          entity: customerKeys,
          project: "prop",
          featureView: `view_${run}`,
          features,
          section: "Property",
        });
        const written = feastRow(source, { customer_id: customerId }, value, eventTime);
        await admin.hset(written.key, ...written.fields.flat());
        const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), {
          sources: [source],
        });
        try {
          const result = await online.read({
            records: [
              {
                entity: "customer",
                key: source.entity.canonicalKey({ customer_id: customerId }),
                field: sourceField(source),
                kind: "value",
              },
            ],
          });
          const record = result.records[0];
          expect(record?.kind).toBe("value");
          if (record?.kind !== "value") return;
          expect(record.envelope?.eventTime).toBe(eventTime);
          expect(record.envelope?.value).toEqual(value);
        } finally {
          await online.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
