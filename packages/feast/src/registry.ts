// Reading a Feast registry file (the protobuf `feast apply` writes, e.g. data/registry.db) and
// turning chosen feature views into ctxstore definitions: `readFeastRegistry` decodes what matters
// (entities, join keys and their types, feature views with features, types and TTL),
// `generateFeastDefinitions` writes TypeScript source for them, and `verifyFeastSources` checks
// hand-written sources against a registry (project, view, features, types, join keys).
import { fromBinary } from "@bufbuild/protobuf";
import { CtxError } from "@ctxstore/core";
import type { JoinKeyType } from "./layout.js";
import type { FeatureSpecV2, Registry } from "./proto/feast/core/registry_pb.js";
import { RegistrySchema } from "./proto/feast/core/registry_pb.js";
import { ValueType_Enum } from "./proto/feast/types/value_pb.js";
import type { AnyFeastSource } from "./source.js";

/** A feature (or join key) as the Feast registry declares it: name, Feast value type, description. */
export interface FeastRegistryFeature {
  readonly name: string;
  /** Feast's ValueType name: "INT64", "STRING_LIST", ... */
  readonly valueType: string;
  readonly description: string;
}

/** A feature view as the Feast registry declares it: kind, entities, join keys, features and TTL. */
export interface FeastRegistryView {
  readonly name: string;
  readonly project: string;
  /** `batch` (FeatureView), `stream` (StreamFeatureView) or `on_demand` (OnDemandFeatureView). */
  readonly kind: "batch" | "stream" | "on_demand";
  readonly entities: readonly string[];
  /** Join keys with their Feast types (from the view's entity columns, else its entities). */
  readonly joinKeys: readonly FeastRegistryFeature[];
  readonly features: readonly FeastRegistryFeature[];
  /** The view's TTL in ms; undefined when 0 (no limit). */
  readonly ttlMs: number | undefined;
  readonly online: boolean;
  /** On-demand views: whether Feast writes their results to the online store. */
  readonly writesToOnlineStore: boolean;
  /** `meta.current_version_number` (used with online feature-view versioning). */
  readonly currentVersion: number;
  readonly description: string;
}

/**
 * What a Feast registry file holds, as `readFeastRegistry` reads it: projects, entities and feature views.
 */
export interface FeastRegistryInfo {
  readonly registrySchemaVersion: string;
  readonly projects: readonly string[];
  readonly entities: ReadonlyArray<{
    readonly name: string;
    readonly project: string;
    readonly joinKey: string;
    readonly valueType: string;
  }>;
  readonly featureViews: readonly FeastRegistryView[];
}

const valueTypeName = (type: ValueType_Enum): string => ValueType_Enum[type] ?? `UNKNOWN_${type}`;

function notARegistry(why: string, cause?: unknown): CtxError {
  return new CtxError(
    "CTX_CONFIG",
    `This is not a Feast registry file: ${why}. Pass the file-based registry that \`feast apply\` writes (the path in feature_store.yaml's \`registry\`, e.g. data/registry.db); SQL and remote registries need a local copy of the protobuf file.`,
    {},
    cause === undefined ? undefined : { cause },
  );
}

/** Decodes a Feast registry file; throws `CTX_CONFIG` for anything that is not one. */
export function readFeastRegistry(bytes: Uint8Array): FeastRegistryInfo {
  if (!(bytes instanceof Uint8Array)) throw notARegistry("expected the file's bytes (a Uint8Array/Buffer)");
  if (bytes.length === 0) throw notARegistry("the file is empty");
  if (Buffer.from(bytes.subarray(0, 16)).toString("latin1") === "SQLite format 3\u0000") {
    throw notARegistry("it is an SQLite database (Feast's SQL registry)");
  }
  let registry: Registry;
  try {
    registry = fromBinary(RegistrySchema, bytes);
  } catch (error) {
    throw notARegistry(
      `it does not decode as a feast.core.Registry protobuf (${error instanceof Error ? error.message : String(error)})`,
      error,
    );
  }
  const known =
    registry.entities.length +
    registry.featureViews.length +
    registry.streamFeatureViews.length +
    registry.onDemandFeatureViews.length;
  if (registry.registrySchemaVersion === "" && known === 0) {
    throw notARegistry("it holds no registry schema version, entities or feature views");
  }
  const entities = registry.entities.map((entity) => ({
    name: entity.spec?.name ?? "",
    project: entity.spec?.project ?? "",
    joinKey: entity.spec?.joinKey || entity.spec?.name || "",
    valueType: valueTypeName(entity.spec?.valueType ?? ValueType_Enum.INVALID),
  }));
  const feature = (spec: FeatureSpecV2): FeastRegistryFeature => ({
    name: spec.name,
    valueType: valueTypeName(spec.valueType),
    description: spec.description,
  });
  const joinKeysOf = (project: string, names: readonly string[], columns: readonly FeatureSpecV2[]) => {
    if (columns.length > 0) return columns.map(feature);
    return names.flatMap((name) => {
      const entity = entities.find(
        (candidate) => candidate.name === name && (candidate.project === project || candidate.project === ""),
      );
      return entity === undefined || entity.name === "__dummy"
        ? []
        : [{ name: entity.joinKey, valueType: entity.valueType, description: "" }];
    });
  };
  const ttl = (duration: { seconds: bigint; nanos: number } | undefined) => {
    if (duration === undefined) return undefined;
    const ms = Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1_000_000);
    return ms > 0 ? ms : undefined;
  };
  const views: FeastRegistryView[] = [];
  for (const view of registry.featureViews) {
    const spec = view.spec;
    if (!spec) continue;
    views.push({
      name: spec.name,
      project: spec.project,
      kind: "batch",
      entities: [...spec.entities],
      joinKeys: joinKeysOf(spec.project, spec.entities, spec.entityColumns),
      features: spec.features.map(feature),
      ttlMs: ttl(spec.ttl),
      online: spec.online,
      writesToOnlineStore: true,
      currentVersion: view.meta?.currentVersionNumber ?? 0,
      description: spec.description,
    });
  }
  for (const view of registry.streamFeatureViews) {
    const spec = view.spec;
    if (!spec) continue;
    views.push({
      name: spec.name,
      project: spec.project,
      kind: "stream",
      entities: [...spec.entities],
      joinKeys: joinKeysOf(spec.project, spec.entities, spec.entityColumns),
      features: spec.features.map(feature),
      ttlMs: ttl(spec.ttl),
      online: spec.online,
      writesToOnlineStore: true,
      currentVersion: view.meta?.currentVersionNumber ?? 0,
      description: spec.description,
    });
  }
  for (const view of registry.onDemandFeatureViews) {
    const spec = view.spec;
    if (!spec) continue;
    views.push({
      name: spec.name,
      project: spec.project,
      kind: "on_demand",
      entities: [...spec.entities],
      joinKeys: joinKeysOf(spec.project, spec.entities, spec.entityColumns),
      features: spec.features.map(feature),
      ttlMs: undefined,
      online: spec.writeToOnlineStore,
      writesToOnlineStore: spec.writeToOnlineStore,
      currentVersion: 0,
      description: spec.description,
    });
  }
  const projects = [
    ...new Set([...views.map((view) => view.project), ...entities.map((entity) => entity.project)]),
  ]
    .filter((project) => project !== "")
    .sort();
  return { registrySchemaVersion: registry.registrySchemaVersion, projects, entities, featureViews: views };
}

const JOIN_KEY_TYPE: Readonly<Record<string, JoinKeyType>> = {
  STRING: "string",
  BYTES: "bytes",
  INT32: "int32",
  INT64: "int64",
  UNIX_TIMESTAMP: "unix_timestamp",
};

const ELEMENTS: Readonly<Record<string, string>> = {
  BYTES: "bytes",
  STRING: "string",
  INT32: "int32",
  INT64: "int64",
  DOUBLE: "double",
  FLOAT: "float",
  BOOL: "bool",
  UNIX_TIMESTAMP: "unix_timestamp",
  UUID: "uuid",
  TIME_UUID: "time_uuid",
  DECIMAL: "decimal",
};

const SCALARS: Readonly<Record<string, string>> = {
  BYTES: "bytes",
  STRING: "string",
  INT32: "int32",
  INT64: "int64",
  DOUBLE: "double",
  FLOAT: "float",
  BOOL: "bool",
  UNIX_TIMESTAMP: "unixTimestamp",
  JSON: "json",
  JSON_LIST: "jsonList",
  UUID: "uuid",
  TIME_UUID: "timeUuid",
  DECIMAL: "decimal",
  ZONED_TIMESTAMP: "zonedTimestamp",
  MAP: "map",
  MAP_LIST: "mapList",
  STRUCT: "struct",
  STRUCT_LIST: "structList",
  VALUE_LIST: "valueList",
  VALUE_SET: "valueSet",
  SCALAR_MAP: "scalarMap",
};

/** The `feastType` call for a Feast ValueType, or undefined when ctxstore cannot read it. */
export function feastTypeExpression(valueType: string): string | undefined {
  const scalar = SCALARS[valueType];
  if (scalar !== undefined) return `feastType.${scalar}()`;
  const collection = /^(.*)_(LIST|SET)$/.exec(valueType);
  const element = collection ? ELEMENTS[collection[1] as string] : undefined;
  if (collection && element !== undefined) {
    return `feastType.${collection[2] === "LIST" ? "list" : "set"}(${JSON.stringify(element)})`;
  }
  return undefined;
}

/**
 * Options of `generateFeastDefinitions`: which feature views (and project), and whether Feast's online
 * feature-view versioning is on.
 */
export interface GenerateFeastOptions {
  /** Names of the feature views to generate sources for (at least one). */
  featureViews: readonly string[];
  /** The Feast project; needed when the registry holds more than one. */
  project?: string;
  /**
   * Feast's `enable_online_feature_view_versioning` (in feature_store.yaml, not in the registry
   * file): when on, views with a current version > 0 are read as `<view>_v<N>`.
   */
  onlineVersioning?: boolean;
  /** Generate every feature `.orNull()` (Feast stores a missing value as NULL). Default false. */
  nullable?: boolean;
  /** Module specifier to import feastEntity/feastSource/feastType from. Default "@ctxstore/feast". */
  importFrom?: string;
}

/** A Feast name as a ctxstore name (lower_snake_case, ASCII): "région_stats" -> "region_stats". */
export function ctxstoreName(feastName: string): string {
  let name = feastName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  if (!/^[a-z]/.test(name)) name = `f_${name}`;
  return name.slice(0, 63);
}

function camelName(name: string): string {
  const camel = name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  return RESERVED.has(camel) ? `${camel}Source` : camel;
}

const RESERVED = new Set([
  "default",
  "function",
  "class",
  "delete",
  "new",
  "return",
  "this",
  "import",
  "export",
  "z",
]);

function property(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function comment(text: string): string {
  return text.replace(/\*\//g, "* /").replace(/\s+/g, " ").trim();
}

function durationText(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function zodKey(type: JoinKeyType): string {
  switch (type) {
    case "string":
      return "z.string()";
    case "bytes":
      return "z.string().regex(/^(?:[0-9a-f]{2})*$/i) /* hex */";
    case "int32":
      return "z.number().int()";
    case "int64":
    case "unix_timestamp":
      // Numbers cover ids up to 2^53; declare z.string().regex(/^-?\d+$/) for larger ones.
      return "z.number().int()";
  }
}

/**
 * TypeScript source defining ctxstore entities (with Feast join keys) and one `feastSource` per
 * chosen feature view, with every feature typed from the registry. Throws `CTX_CONFIG` naming what
 * is wrong: an unknown view (listing the known ones), an ambiguous project, an on-demand view that
 * Feast computes at request time, a type ctxstore cannot read.
 */
export function generateFeastDefinitions(
  registry: Uint8Array | FeastRegistryInfo,
  options: GenerateFeastOptions,
): string {
  const info = registry instanceof Uint8Array ? readFeastRegistry(registry) : registry;
  const wanted = options?.featureViews ?? [];
  if (!Array.isArray(wanted) || wanted.length === 0) {
    throw new CtxError(
      "CTX_CONFIG",
      "generateFeastDefinitions(): name at least one feature view in `featureViews`.",
      {},
    );
  }
  const project = options.project ?? (info.projects.length === 1 ? info.projects[0] : undefined);
  if (project === undefined) {
    throw new CtxError(
      "CTX_CONFIG",
      `generateFeastDefinitions(): the registry holds ${info.projects.length === 0 ? "no project" : `projects ${info.projects.join(", ")}`}; pass \`project\`.`,
      { projects: info.projects },
    );
  }
  if (!info.projects.includes(project)) {
    throw new CtxError(
      "CTX_CONFIG",
      `generateFeastDefinitions(): project "${project}" is not in this registry (it holds ${info.projects.join(", ") || "none"}).`,
      { project, projects: info.projects },
    );
  }
  const inProject = info.featureViews.filter((view) => view.project === project);
  const views = wanted.map((name) => {
    const view = inProject.find((candidate) => candidate.name === name);
    if (view === undefined) {
      throw new CtxError(
        "CTX_CONFIG",
        `generateFeastDefinitions(): feature view "${name}" is not in project "${project}"; it has ${inProject.map((candidate) => candidate.name).join(", ") || "no views"}.`,
        { project, featureView: name },
      );
    }
    if (view.kind === "on_demand" && !view.writesToOnlineStore) {
      throw new CtxError(
        "CTX_CONFIG",
        `generateFeastDefinitions(): "${name}" is an on-demand feature view that Feast computes in Python at request time; nothing is stored for ctxstore to read. Use a realtime source calling Feast's feature server, or set write_to_online_store=True in Feast.`,
        { featureView: name },
      );
    }
    if (view.joinKeys.length === 0) {
      throw new CtxError(
        "CTX_CONFIG",
        `generateFeastDefinitions(): "${name}" has no join keys (an entity-less view); ctxstore sources need an entity.`,
        { featureView: name },
      );
    }
    return view;
  });

  const lines: string[] = [
    `// Generated by @ctxstore/feast from a Feast registry (project "${comment(project)}"). Edit freely: the`,
    "// render functions, sections and priorities are yours; re-run the generator when the views change.",
    'import { defineEntity } from "@ctxstore/core";',
    `import { feastEntity, feastSource, feastType } from ${JSON.stringify(options.importFrom ?? "@ctxstore/feast")};`,
    'import { z } from "zod";',
    "",
  ];
  const entities = new Map<string, string>();
  const sourceNames: string[] = [];
  for (const view of views) {
    const joinKeys = view.joinKeys.map((joinKey) => {
      const type = JOIN_KEY_TYPE[joinKey.valueType];
      if (type === undefined) {
        throw new CtxError(
          "CTX_CONFIG",
          `generateFeastDefinitions(): join key "${joinKey.name}" of "${view.name}" has type ${joinKey.valueType}; Feast's entity keys hold only STRING, BYTES, INT32, INT64 and UNIX_TIMESTAMP.`,
          { featureView: view.name, joinKey: joinKey.name },
        );
      }
      return { name: joinKey.name, type };
    });
    const entityName = ctxstoreName(
      (view.entities.length > 0 ? [...view.entities] : joinKeys.map((key) => key.name)).join("_"),
    );
    const signature = `${entityName}|${joinKeys.map((key) => `${key.name}:${key.type}`).join(",")}`;
    let entityVariable = entities.get(signature);
    if (entityVariable === undefined) {
      entityVariable = `${camelName(entityName)}Keys`;
      if ([...entities.values()].includes(entityVariable))
        entityVariable = `${entityVariable}${entities.size}`;
      entities.set(signature, entityVariable);
      const fields = joinKeys.map((key) => `${property(key.name)}: ${zodKey(key.type)}`).join(", ");
      const mapping = joinKeys.map((key) => `${property(key.name)}: ${JSON.stringify(key.type)}`).join(", ");
      lines.push(
        `export const ${entityVariable} = feastEntity(`,
        `  defineEntity(${JSON.stringify(entityName)}, { key: z.object({ ${fields} }) }),`,
        `  { ${mapping} },`,
        ");",
        "",
      );
    }
    const version =
      options.onlineVersioning === true && view.currentVersion > 0 ? view.currentVersion : undefined;
    const sourceName = ctxstoreName(version === undefined ? view.name : `${view.name}_v${version}`);
    const variable = camelName(sourceName);
    sourceNames.push(variable);
    const features = view.features.map((feature) => {
      const expression = feastTypeExpression(feature.valueType);
      if (expression === undefined) {
        throw new CtxError(
          "CTX_CONFIG",
          `generateFeastDefinitions(): feature "${feature.name}" of "${view.name}" has type ${feature.valueType}, which ctxstore cannot read; leave the view out or drop the feature from the generated file.`,
          { featureView: view.name, feature: feature.name },
        );
      }
      const doc = feature.description ? ` // ${comment(feature.description)}` : "";
      return `    ${property(feature.name)}: ${expression}${options.nullable ? ".orNull()" : ""},${doc}`;
    });
    if (view.description) lines.push(`/** ${comment(view.description)} */`);
    if (view.kind === "on_demand")
      lines.push("// On-demand view with write_to_online_store: Feast stores its results when it writes.");
    if (!view.online)
      lines.push(
        "// Note: this view has online=false in Feast; it is not materialized, so it reads as missing.",
      );
    lines.push(
      `export const ${variable} = feastSource(${JSON.stringify(sourceName)}, {`,
      `  entity: ${entityVariable},`,
      `  project: ${JSON.stringify(project)},`,
      `  featureView: ${JSON.stringify(view.name)},`,
      ...(version === undefined ? [] : [`  featureViewVersion: ${version},`]),
      ...(view.ttlMs === undefined
        ? []
        : [`  ttl: ${JSON.stringify(durationText(view.ttlMs))}, // the view's TTL; maxAge defaults to it`]),
      "  features: {",
      ...features,
      "  },",
      `  section: ${JSON.stringify(sectionTitle(view.name))},`,
      "});",
      "",
    );
  }
  lines.push(`export const feastSources = [${sourceNames.join(", ")}] as const;`, "");
  return lines.join("\n");
}

function sectionTitle(name: string): string {
  const words = name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Checks sources against a registry: the project and view exist, every declared feature exists
 * with the declared type, and the join keys match. Returns the problems (empty when all is well);
 * throws `CTX_CONFIG` listing them with `{ throwOnProblems: true }`.
 */
export function verifyFeastSources(
  registry: Uint8Array | FeastRegistryInfo,
  sources: readonly AnyFeastSource[],
  options: { throwOnProblems?: boolean } = {},
): string[] {
  const info = registry instanceof Uint8Array ? readFeastRegistry(registry) : registry;
  const problems: string[] = [];
  for (const source of sources) {
    const { project, featureView, featureNames, features, entity } = source.feast;
    const label = `source "${source.name}" (${project}/${featureView})`;
    if (!info.projects.includes(project)) {
      problems.push(
        `${label}: project "${project}" is not in the registry (it holds ${info.projects.join(", ") || "none"})`,
      );
      continue;
    }
    const view = info.featureViews.find(
      (candidate) => candidate.project === project && candidate.name === featureView,
    );
    if (view === undefined) {
      problems.push(`${label}: no feature view "${featureView}" in project "${project}"`);
      continue;
    }
    for (const name of featureNames) {
      const declared = features[name];
      const known = view.features.find((feature) => feature.name === name);
      if (known === undefined) problems.push(`${label}: feature "${name}" is not in the view`);
      else if (declared && known.valueType !== declared.valueType) {
        problems.push(
          `${label}: feature "${name}" is ${known.valueType} in Feast, declared ${declared.valueType}`,
        );
      }
    }
    const registryKeys = view.joinKeys
      .map((key) => `${key.name}:${JOIN_KEY_TYPE[key.valueType] ?? key.valueType}`)
      .sort();
    const declaredKeys = entity.joinKeys.map((key) => `${key.name}:${key.type}`).sort();
    if (registryKeys.join(",") !== declaredKeys.join(",")) {
      problems.push(
        `${label}: join keys are ${registryKeys.join(", ") || "unknown"} in Feast, declared ${declaredKeys.join(", ")}`,
      );
    }
  }
  if (problems.length > 0 && options.throwOnProblems) {
    throw new CtxError(
      "CTX_CONFIG",
      `Feast sources do not match the registry:\n- ${problems.join("\n- ")}\nRegenerate them (generateFeastDefinitions) or fix the declarations.`,
      { problems },
    );
  }
  return problems;
}
