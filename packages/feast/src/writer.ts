// Writes rows the way Feast's Redis online store does (RedisOnlineStore.online_write_batch): for
// tests, demos and benchmarks that need Feast-format hashes without a Python Feast. The bytes match
// Feast's own for every fixture in the golden set (see writer.test.ts).
import { create, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { CtxError } from "@ctxstore/core";
import { feastRedisKey, serializeEntityKey } from "./layout.js";
import { ValueSchema } from "./proto/feast/types/value_pb.js";
import type { AnyFeastSource } from "./source.js";
import { joinKeyValues } from "./source.js";

/**
 * One Feast-format Redis row from `feastRow`: the hash key and its HSET fields, byte-identical to what
 * Feast's own writer stores (for tests and demos).
 */
export interface FeastRow {
  /** The Redis key (serialized entity key + project). */
  readonly key: Buffer;
  /** HSET field/value pairs: `_ts:<view>` first, then one per feature. */
  readonly fields: ReadonlyArray<readonly [Buffer, Buffer]>;
}

/** An instant: epoch ms, a Date, or protobuf-style seconds + nanos (Feast keeps microseconds). */
export type FeastTime = number | Date | { readonly seconds: number; readonly nanos: number };

/** Feast's serialized google.protobuf.Timestamp of an instant. */
export function feastTimestamp(time: FeastTime): Buffer {
  if (typeof time === "object" && !(time instanceof Date)) {
    if (
      !Number.isSafeInteger(time.seconds) ||
      !Number.isInteger(time.nanos) ||
      time.nanos < 0 ||
      time.nanos > 999_999_999
    ) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `feastTimestamp(): ${JSON.stringify(time)} is not a valid { seconds, nanos }.`,
        {},
      );
    }
    return Buffer.from(
      toBinary(
        TimestampSchema,
        create(TimestampSchema, { seconds: BigInt(time.seconds), nanos: time.nanos }),
      ),
    );
  }
  const ms = typeof time === "number" ? time : time.getTime();
  if (!Number.isFinite(ms)) {
    throw new CtxError("CTX_INVALID_VALUE", `feastTimestamp(): ${String(time)} is not a valid time.`, {});
  }
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  return Buffer.from(toBinary(TimestampSchema, create(TimestampSchema, { seconds: BigInt(seconds), nanos })));
}

/**
 * The Redis key and HSET mapping Feast would write for `value` (features by name) of `source` for
 * `key` at `eventTime`. A feature left out of `value` is not written (as with a partial write).
 */
export function feastRow(
  source: AnyFeastSource,
  key: unknown,
  value: Partial<Record<string, unknown>>,
  eventTime: FeastTime,
): FeastRow {
  const binding = source.feast;
  const canonical = source.entity.canonicalKey(key);
  const joinKeys = joinKeyValues(binding.entity, canonical);
  if (!joinKeys.ok) {
    throw new CtxError("CTX_INVALID_KEY", `feastRow(${source.name}): ${joinKeys.reason}.`, {
      source: source.name,
    });
  }
  const fields: Array<readonly [Buffer, Buffer]> = [[binding.fields[0] as Buffer, feastTimestamp(eventTime)]];
  binding.featureNames.forEach((name, index) => {
    if (!(name in value)) return;
    const feature = binding.features[name];
    if (feature === undefined) return;
    const val = feature.encode(value[name] as never);
    fields.push([
      binding.fields[index + 1] as Buffer,
      Buffer.from(toBinary(ValueSchema, create(ValueSchema, { val }))),
    ]);
  });
  return { key: feastRedisKey(serializeEntityKey(joinKeys.values), binding.project), fields };
}
