// Feast feature views as ctxstore batch sources. `feastEntity` maps a ctxstore entity's key onto
// Feast join keys (declared once, checked against the entity's zod key); `feastSource` declares the
// chosen features of one feature view, and is an ordinary batch source for everything downstream
// (rendering, budgets, traces, statuses). Its values are read by `withFeast` (online.ts).
import {
  type BatchOptions,
  type BatchSource,
  batch,
  CtxError,
  type Duration,
  type Entity,
  parseDuration,
} from "@ctxstore/core";
import { z } from "zod";
import {
  featureField,
  type JoinKeyType,
  type JoinKeyValue,
  timestampField,
  versionedViewName,
} from "./layout.js";
import type { FeastFeature } from "./values.js";

/** One Feast join key of a `feastEntity`: its name, Feast type, and the ctxstore key field holding it. */
export interface FeastJoinKey {
  /** The Feast join key, e.g. "driver_id". */
  readonly name: string;
  readonly type: JoinKeyType;
  /** The field of the ctxstore entity key holding it (defaults to the join key's name). */
  readonly field: string;
}

/**
 * A ctxstore entity bound to Feast's join keys, from `feastEntity`: how its key serializes into
 * Feast's Redis keys.
 */
export interface FeastEntity<E extends Entity = Entity> {
  readonly kind: "feast-entity";
  readonly entity: E;
  /** Sorted by Feast's order (join-key name, code points). */
  readonly joinKeys: readonly FeastJoinKey[];
}

const JOIN_KEY_TYPES: readonly JoinKeyType[] = ["string", "bytes", "int32", "int64", "unix_timestamp"];

/** Which zod types can hold each join-key type in a ctxstore key (bytes as hex text). */
const ZOD_TYPES_FOR: Readonly<Record<JoinKeyType, readonly string[]>> = {
  string: ["string"],
  bytes: ["string"],
  int32: ["number"],
  int64: ["number", "string"],
  unix_timestamp: ["number", "string"],
};

interface ZodInternals {
  _zod?: { def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown } };
}

function zodType(schema: unknown): string | undefined {
  return (schema as ZodInternals)?._zod?.def?.type;
}

/**
 * Maps `entity`'s key onto Feast join keys: `{ driver_id: "int64" }`, or `{ user_id: { type:
 * "string", field: "userId" } }` when the ctxstore key names the field differently. Every key field
 * must map to a join key and the zod types must be able to hold the Feast type (int64 and unix
 * timestamps: an integer number or a decimal string; bytes: hex text); otherwise this throws
 * `CTX_INVALID_DEFINITION` naming the mismatch.
 */
export function feastEntity<E extends Entity>(
  entity: E,
  joinKeys: Readonly<Record<string, JoinKeyType | { type: JoinKeyType; field?: string }>>,
): FeastEntity<E> {
  const fail = (message: string): never => {
    throw new CtxError("CTX_INVALID_DEFINITION", `feastEntity(${entity?.name ?? "?"}): ${message}`, {
      entity: entity?.name,
    });
  };
  if (entity?.kind !== "entity") fail("the first argument must be an entity from defineEntity().");
  const names = Object.keys(joinKeys ?? {});
  if (names.length === 0) fail('declare at least one join key, e.g. { driver_id: "int64" }.');
  const def = (entity.key as ZodInternals)._zod?.def;
  const shape = def?.type === "object" ? def.shape : undefined;
  if (shape === undefined) {
    fail("the entity's key must be a z.object({ ... }) whose fields are the Feast join keys.");
  }
  const keyShape = shape as Record<string, unknown>;
  const mapped = new Set<string>();
  const declared: FeastJoinKey[] = names.map((name) => {
    const spec = joinKeys[name];
    const type = typeof spec === "string" ? spec : spec?.type;
    const field = (typeof spec === "object" ? spec.field : undefined) ?? name;
    if (name.length === 0) fail("join-key names must not be empty.");
    if (!JOIN_KEY_TYPES.includes(type as JoinKeyType)) {
      fail(
        `join key "${name}" has type ${JSON.stringify(type)}; Feast serializes only ${JOIN_KEY_TYPES.join(", ")} join keys.`,
      );
    }
    if (!(field in keyShape)) {
      fail(`join key "${name}" maps to key field "${field}", which the entity's key schema does not have.`);
    }
    const actual = zodType(keyShape[field]);
    const allowed = ZOD_TYPES_FOR[type as JoinKeyType];
    if (actual === undefined || !allowed.includes(actual)) {
      fail(
        `join key "${name}" is ${type} in Feast, but key field "${field}" is a zod ${actual ?? "unknown"} (required, not optional); use ${allowed.map((kind) => `z.${kind}()`).join(" or ")}.`,
      );
    }
    if (mapped.has(field)) fail(`key field "${field}" is mapped to two join keys.`);
    mapped.add(field);
    return { name, type: type as JoinKeyType, field };
  });
  for (const field of Object.keys(keyShape)) {
    if (!mapped.has(field)) {
      fail(
        `key field "${field}" maps to no Feast join key; every field of the key must be one (Feast's key has no room for others).`,
      );
    }
  }
  declared.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return Object.freeze({ kind: "feast-entity" as const, entity, joinKeys: Object.freeze(declared) });
}

type FeatureValues<F extends Record<string, FeastFeature>> = {
  [K in keyof F]: F[K] extends FeastFeature<infer T> ? T : never;
};

/**
 * Options of `feastSource`: batch-source options (section, priority, render...) plus the Feast
 * project, feature view (and version), the features with their types, the view's TTL and what a NULL
 * feature means.
 */
export interface FeastSourceOptions<E extends Entity, F extends Record<string, FeastFeature>>
  extends Omit<BatchOptions<E, z.ZodType<FeatureValues<F>>>, "entity" | "schema"> {
  entity: FeastEntity<E>;
  /** The Feast project (part of every Redis key). */
  project: string;
  /** The feature view's name in Feast. */
  featureView: string;
  /**
   * The view's version when Feast's online feature-view versioning is on and the version is > 0:
   * Feast then stores the view as `<featureView>_v<N>`.
   */
  featureViewVersion?: number;
  /** The features to read, by their Feast names, with their types (`feastType.*`). */
  features: F;
  /** The view's TTL in Feast; `maxAge` defaults to it (a Feast TTL of 0 means no limit: leave it out). */
  ttl?: Duration;
  /**
   * A NULL feature (Feast's `null_val`, or a Value with nothing set, which is how Feast stores None)
   * of a feature not declared `.orNull()`: `"missing"` (default: not a fact) or `"empty"` (the
   * source positively has nothing for this entity).
   */
  onNull?: "missing" | "empty";
}

/** Where one feast source's values live, computed once. */
export interface FeastBinding {
  readonly project: string;
  readonly featureView: string;
  /** The name in fields: `<view>` or `<view>_v<N>`. */
  readonly storedViewName: string;
  readonly entity: FeastEntity;
  readonly features: Readonly<Record<string, FeastFeature>>;
  readonly featureNames: readonly string[];
  /** `_ts:<view>` first, then one field per feature in `featureNames` order. */
  readonly fields: readonly Buffer[];
  readonly onNull: "missing" | "empty";
}

/**
 * A batch source read from Feast's Redis online-store rows, from `feastSource`: a `BatchSource` plus
 * where its values live in Feast's layout.
 */
export type FeastSource<E extends Entity = Entity, V = unknown> = BatchSource<E, V> & {
  readonly feast: FeastBinding;
};

// A list of Feast sources of different value types needs an open value type (as core's AnySource).
/** Any Feast source, with an open value type: what lists of Feast sources (`withFeast`'s `sources`) take. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyFeastSource = FeastSource<Entity, any>;

/**
 * A batch source whose value is the chosen features of one Feast feature view for the entity:
 * `{ conv_rate: 0.81, avg_daily_trips: 17 }`. Read it through `withFeast(redisStore(...), { sources })`.
 */
export function feastSource<E extends Entity, F extends Record<string, FeastFeature>>(
  name: string,
  options: FeastSourceOptions<E, F>,
): FeastSource<E, FeatureValues<F>> {
  const fail = (message: string): never => {
    throw new CtxError("CTX_INVALID_DEFINITION", `Source "${name}" (feast): ${message}`, { source: name });
  };
  if (options?.entity?.kind !== "feast-entity") {
    fail("`entity` must come from feastEntity(entity, joinKeys), which declares the Feast join keys.");
  }
  if (typeof options.project !== "string" || options.project.length === 0) {
    fail("`project` must be the Feast project name (it is part of every Redis key Feast writes).");
  }
  if (typeof options.featureView !== "string" || options.featureView.length === 0) {
    fail("`featureView` must be the Feast feature view's name.");
  }
  const version = options.featureViewVersion;
  if (version !== undefined && (!Number.isInteger(version) || version < 0)) {
    fail(`\`featureViewVersion\` must be a non-negative integer; got ${String(version)}.`);
  }
  const features = options.features ?? ({} as F);
  const featureNames = Object.keys(features);
  if (featureNames.length === 0) fail("declare at least one feature in `features`.");
  for (const feature of featureNames) {
    if ((features[feature] as FeastFeature | undefined)?.kind !== "feast-feature") {
      fail(`feature "${feature}" must be declared with feastType.*(), e.g. feastType.double().`);
    }
  }
  const onNull = options.onNull ?? "missing";
  if (onNull !== "missing" && onNull !== "empty") {
    fail(`\`onNull\` must be "missing" or "empty"; got ${JSON.stringify(onNull)}.`);
  }
  const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl, `ttl of source "${name}"`);
  const shape: Record<string, z.ZodType> = {};
  for (const feature of featureNames) shape[feature] = (features[feature] as FeastFeature).schema;
  const schema = z.object(shape) as unknown as z.ZodType<FeatureValues<F>>;
  const { entity, project, featureView, features: _features, ttl: _ttl, onNull: _onNull, ...rest } = options;
  const maxAge = options.maxAge ?? ttlMs;
  const source = batch(name, {
    ...rest,
    ...(maxAge === undefined ? {} : { maxAge }),
    entity: entity.entity,
    schema,
  });
  const storedViewName = versionedViewName(featureView, version);
  const fields = [
    timestampField(storedViewName),
    ...featureNames.map((feature) => featureField(storedViewName, feature)),
  ];
  const binding: FeastBinding = Object.freeze({
    project,
    featureView,
    storedViewName,
    entity,
    features: Object.freeze({ ...features }),
    featureNames: Object.freeze(featureNames),
    fields: Object.freeze(fields),
    onNull,
  });
  return Object.freeze({ ...source, feast: binding });
}

/** True when `source` was made by feastSource(). */
export function isFeastSource(source: unknown): source is AnyFeastSource {
  return (
    typeof source === "object" &&
    source !== null &&
    (source as { feast?: { entity?: { kind?: string } } }).feast?.entity?.kind === "feast-entity"
  );
}

/**
 * The Feast join-key values of a canonical ctxstore key (`driver_id=1005`, core's `canonicalize`
 * of the parsed key), converted to their Feast types; a reason when a value cannot be one.
 */
export function joinKeyValues(
  entity: FeastEntity,
  canonicalKey: string,
): { ok: true; values: Array<readonly [string, JoinKeyValue]> } | { ok: false; reason: string } {
  const fields = new Map<string, string>();
  for (const part of canonicalKey.split("&")) {
    const equals = part.indexOf("=");
    if (equals < 0)
      return { ok: false, reason: `key ${JSON.stringify(canonicalKey)} is not a flat field=value key` };
    try {
      fields.set(decodeURIComponent(part.slice(0, equals)), decodeURIComponent(part.slice(equals + 1)));
    } catch {
      return { ok: false, reason: `key ${JSON.stringify(canonicalKey)} is not percent-encoded text` };
    }
  }
  const values: Array<readonly [string, JoinKeyValue]> = [];
  for (const joinKey of entity.joinKeys) {
    const raw = fields.get(joinKey.field);
    if (raw === undefined)
      return { ok: false, reason: `key has no field "${joinKey.field}" (join key ${joinKey.name})` };
    const converted = toJoinKeyValue(joinKey.type, raw);
    if (converted === undefined) {
      return {
        ok: false,
        reason: `key field "${joinKey.field}" = ${JSON.stringify(raw)} is not a valid ${joinKey.type} for Feast join key ${joinKey.name}`,
      };
    }
    values.push([joinKey.name, converted]);
  }
  return { ok: true, values };
}

const INTEGER = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toJoinKeyValue(type: JoinKeyType, raw: string): JoinKeyValue | undefined {
  switch (type) {
    case "string":
      return { type, value: raw };
    case "bytes":
      return /^(?:[0-9a-fA-F]{2})*$/.test(raw) ? { type, value: Buffer.from(raw, "hex") } : undefined;
    case "int32": {
      if (!INTEGER.test(raw)) return undefined;
      const value = Number(raw);
      return value >= -(2 ** 31) && value < 2 ** 31 ? { type, value } : undefined;
    }
    case "int64":
    case "unix_timestamp": {
      if (!INTEGER.test(raw)) return undefined;
      const value = BigInt(raw);
      return value >= INT64_MIN && value <= INT64_MAX ? { type, value } : undefined;
    }
  }
}
