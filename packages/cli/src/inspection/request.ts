// One inspection request, from the command line (`--key user.userId=u1`) or from a URL
// (`?user.userId=u1&query=...&maxTokens=600`, the inspector's shareable link), checked against the
// context store's entities before anything runs, so a typo is a usage error listing what is valid.
import type { AnySource, AssembleRequest, ContextStore, Duration, Entity, Principal } from "@ctxstore/core";
import { CtxError, parseDuration } from "@ctxstore/core";

/**
 * One inspection request, as `explain`'s flags or the inspector's shareable URL give it: entity keys
 * (field values as strings), query, budget (`maxTokens`), and optional tenant, sources, deadline,
 * principal, purpose and format.
 */
export interface InspectionRequest {
  readonly keys: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly query?: string;
  readonly maxTokens: number;
  readonly tenant?: string;
  readonly sources?: readonly string[];
  /** Whole-request deadline ("150ms", "2s"). Default: the context store's. */
  readonly deadline?: string;
  /** Who inspects (from the inspector's `identify`, never from the URL). */
  readonly principal?: Principal;
  /**
   * The purpose the request runs for: its redaction policy applies and the audit records it. The
   * inspector always runs for "inspection"; a `purpose` in its URL becomes `previewPurpose`.
   */
  readonly purpose?: string;
  /**
   * Render the prompt as this purpose would, without revealing anything `purpose` masks, unless
   * the principal is in that purpose's `unredactedFor` (core's `previewPurpose`, docs/governance.md).
   */
  readonly previewPurpose?: string;
  /** How the prompt is rendered: "markdown" or "xml". Default: the context store's. */
  readonly format?: PromptFormat;
}

export type PromptFormat = "markdown" | "xml";
const FORMATS: readonly PromptFormat[] = ["markdown", "xml"];

/** `--format` / `?format=`: one of the context store's rendering formats, else a usage error. */
export function checkFormat(value: string | undefined, flag = "--format"): PromptFormat | undefined {
  if (value === undefined || value === "") return undefined;
  if ((FORMATS as readonly string[]).includes(value)) return value as PromptFormat;
  throw usage(`${flag} must be markdown or xml; got ${JSON.stringify(value)}.`, { valid: FORMATS });
}

export const DEFAULT_MAX_TOKENS = 1500;
const RESERVED_PARAMS = new Set([
  "query",
  "maxTokens",
  "tenant",
  "sources",
  "request",
  "deadline",
  "format",
  "purpose",
]);

function usage(message: string, details: Record<string, unknown> = {}): CtxError {
  return new CtxError("CTX_INVALID_REQUEST", message, { ...details, usage: true });
}

/** Entities named by the store's sources, by name. */
export function entitiesOf(context: ContextStore): Map<string, Entity> {
  const entities = new Map<string, Entity>();
  for (const source of context.sources.values()) {
    const entity = (source as AnySource).entity as Entity | undefined;
    if (entity) entities.set(entity.name, entity);
  }
  return entities;
}

/** Field names of an entity's key schema (zod object), for messages. */
export function keyFields(entity: Entity): string[] {
  const shape = (entity.key as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function validKeysHint(context: ContextStore): string {
  return [...entitiesOf(context).values()]
    .map(
      (entity) =>
        keyFields(entity)
          .map((field) => `${entity.name}.${field}=...`)
          .join(" ") || entity.name,
    )
    .join(", ");
}

/** Parses repeated `entity.field=value` arguments. */
export function parseKeyArguments(pairs: readonly string[], context: ContextStore) {
  const keys: Record<string, Record<string, string>> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const dot = name.indexOf(".");
    if (equals < 0 || dot <= 0 || dot === name.length - 1) {
      throw usage(
        `--key ${JSON.stringify(pair)} is not entity.field=value. Valid keys for this config: ${validKeysHint(context)}.`,
        { key: pair },
      );
    }
    addKey(keys, name.slice(0, dot), name.slice(dot + 1), pair.slice(equals + 1));
  }
  checkKeys(keys, context);
  return keys;
}

function addKey(keys: Record<string, Record<string, string>>, entity: string, field: string, value: string) {
  const entityKey = keys[entity] ?? {};
  entityKey[field] = value;
  keys[entity] = entityKey;
}

/** Every named entity must exist, and each key must pass its entity's schema. */
export function checkKeys(
  keys: Readonly<Record<string, Readonly<Record<string, string>>>>,
  context: ContextStore,
) {
  const entities = entitiesOf(context);
  if (Object.keys(keys).length === 0)
    throw usage(`Name at least one entity key, e.g. ${validKeysHint(context)}.`);
  for (const [name, key] of Object.entries(keys)) {
    const entity = entities.get(name);
    if (!entity) {
      throw new CtxError(
        "CTX_UNKNOWN_ENTITY",
        `Unknown entity "${name}". This config's entities: ${[...entities.keys()].join(", ")} (keys: ${validKeysHint(context)}).`,
        { entity: name, valid: [...entities.keys()] },
      );
    }
    const parsed = entity.key.safeParse(key);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join(".") || "(key)"}: ${issue.message}`,
      );
      throw new CtxError(
        "CTX_INVALID_KEY",
        `The ${name} key ${JSON.stringify(key)} fails its schema (${issues.join("; ")}). Expected fields: ${keyFields(entity).join(", ")}.`,
        { entity: name },
      );
    }
  }
}

export function checkMaxTokens(raw: string | number | undefined, name = "--max-tokens"): number {
  if (raw === undefined || raw === "") return DEFAULT_MAX_TOKENS;
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw usage(`${name} must be a positive integer; got ${JSON.stringify(raw)}.`, { maxTokens: raw });
  return value;
}

export function checkDeadline(raw: string | undefined, name = "--deadline"): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  try {
    parseDuration(raw, name);
  } catch {
    throw usage(`${name} must be a duration like 250ms or 2s; got ${JSON.stringify(raw)}.`, {
      deadline: raw,
    });
  }
  return raw;
}

export function checkSources(names: readonly string[] | undefined, context: ContextStore) {
  if (!names || names.length === 0) return undefined;
  for (const name of names) {
    if (!context.sources.has(name)) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `Unknown source "${name}". This config's sources: ${[...context.sources.keys()].join(", ")}.`,
        { source: name, valid: [...context.sources.keys()] },
      );
    }
  }
  return names;
}

/** Reads a request from URL search parameters (the inspector's shareable link format). */
export function requestFromParams(params: URLSearchParams, context: ContextStore): InspectionRequest {
  const keys: Record<string, Record<string, string>> = {};
  for (const [name, value] of params) {
    if (RESERVED_PARAMS.has(name)) continue;
    const dot = name.indexOf(".");
    if (dot <= 0 || dot === name.length - 1)
      throw usage(
        `Unknown parameter "${name}": name keys as entity.field (${validKeysHint(context)}), or use query, maxTokens, tenant, sources, deadline, format, purpose.`,
      );
    if (value !== "") addKey(keys, name.slice(0, dot), name.slice(dot + 1), value);
  }
  checkKeys(keys, context);
  const query = params.get("query") || undefined;
  const tenant = params.get("tenant") || undefined;
  const deadline = checkDeadline(params.get("deadline") ?? undefined, "deadline");
  const format = checkFormat(params.get("format") ?? undefined, "format");
  // Whether the purpose is declared is the context store's check (CTX_UNKNOWN_PURPOSE, listing them).
  const purpose = params.get("purpose") || undefined;
  const sources = checkSources(
    params
      .get("sources")
      ?.split(",")
      .map((name) => name.trim())
      .filter(Boolean),
    context,
  );
  return {
    keys,
    maxTokens: checkMaxTokens(params.get("maxTokens") ?? undefined, "maxTokens"),
    ...(query === undefined ? {} : { query }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(sources === undefined ? {} : { sources }),
    ...(deadline === undefined ? {} : { deadline }),
    ...(format === undefined ? {} : { format }),
    ...(purpose === undefined ? {} : { purpose }),
  };
}

/** The URL search string for a request (inverse of requestFromParams). */
export function requestToParams(request: InspectionRequest): URLSearchParams {
  const params = new URLSearchParams();
  for (const [entity, key] of Object.entries(request.keys))
    for (const [field, value] of Object.entries(key)) params.append(`${entity}.${field}`, value);
  if (request.query !== undefined) params.set("query", request.query);
  params.set("maxTokens", String(request.maxTokens));
  if (request.tenant !== undefined) params.set("tenant", request.tenant);
  if (request.sources !== undefined) params.set("sources", request.sources.join(","));
  if (request.deadline !== undefined) params.set("deadline", request.deadline);
  if (request.format !== undefined) params.set("format", request.format);
  const purpose = request.previewPurpose ?? request.purpose;
  if (purpose !== undefined) params.set("purpose", purpose);
  return params;
}

export function toAssembleRequest(request: InspectionRequest, signal?: AbortSignal): AssembleRequest {
  return {
    keys: request.keys,
    budget: { maxTokens: request.maxTokens },
    ...(request.query === undefined ? {} : { query: request.query }),
    ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
    ...(request.sources === undefined ? {} : { sources: request.sources }),
    ...(request.deadline === undefined ? {} : { deadline: request.deadline as Duration }),
    ...(request.principal === undefined ? {} : { principal: request.principal }),
    ...(request.purpose === undefined ? {} : { purpose: request.purpose }),
    ...(request.format === undefined ? {} : { format: request.format }),
    ...(signal === undefined ? {} : { signal }),
  };
}
