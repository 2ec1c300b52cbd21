// The first phase of an assembly: check the request (shape, budget, deadline, keys, source names)
// and decide which lookup each selected source needs: the online read (batch, stream), a realtime
// call, or a vector search. A source that cannot be looked up (its entity's key is absent, a vector
// source without a query) is `skipped` here, with the reason, never silently empty.

import { parseDuration, toEpochMs } from "../definitions/duration.js";
import { canonicalize, type Entity } from "../definitions/entity.js";
import type { AnySource, RealtimeSource, VectorSource } from "../definitions/source.js";
import { CtxError, describeIssues } from "../errors.js";
import { checkAssembleRequest } from "../request/check.js";
import { type KeyInfo, type Resolution, skipped } from "./resolution.js";

/** What the plan reads from the compiled definitions. */
export interface PlanDefinitions {
  readonly sources: ReadonlyMap<string, AnySource>;
  readonly entities: ReadonlyMap<string, Entity>;
  readonly defaultDeadlineMs: number;
}

/** The request as given (an `AssembleRequest`, typed loosely: callers may be untyped); checked first. */
export type PlanRequest = unknown;

export interface AssemblyPlan {
  readonly maxTokens: number;
  readonly deadlineMs: number;
  /** The assembly's clock (epoch ms): ages and staleness are judged against it. */
  readonly now: number;
  /** The request's keys by entity name, in request order. */
  readonly keys: ReadonlyMap<string, KeyInfo>;
  /** The sources to resolve, in the order results and traces list them. */
  readonly selected: readonly AnySource[];
  /** The question, when it has any non-blank text. */
  readonly query: string | undefined;
  readonly reads: ReadonlyArray<{ readonly source: AnySource; readonly key: KeyInfo }>;
  readonly realtime: ReadonlyArray<{ readonly source: RealtimeSource; readonly key: KeyInfo }>;
  readonly vectors: ReadonlyArray<{ readonly source: VectorSource; readonly key: KeyInfo | undefined }>;
  /** Sources resolved by the plan itself: `skipped`, with the reason. */
  readonly skipped: readonly Resolution[];
  readonly warnings: readonly string[];
}

/** Throws a typed error (`CTX_INVALID_REQUEST`, `CTX_INVALID_BUDGET`, ...) for a bad request. */
export function planAssembly(options: {
  readonly definitions: PlanDefinitions;
  readonly request: PlanRequest;
  /** `overrides.now`: assemble as if the clock read this. */
  readonly nowOverride: number | Date | undefined;
  readonly clock: () => number;
}): AssemblyPlan {
  const { definitions } = options;
  // The one request check every caller shares (request/check.ts): shape, budget, deadline, fields.
  const request = checkAssembleRequest(options.request);
  const maxTokens = request.budget.maxTokens;
  const now =
    options.nowOverride === undefined ? options.clock() : toEpochMs(options.nowOverride, "overrides.now");
  const deadlineMs =
    request.deadline === undefined
      ? definitions.defaultDeadlineMs
      : parseDuration(request.deadline, "request deadline");
  const keys = resolveKeys(definitions, request.keys as Readonly<Record<string, unknown>>);
  const selected = selectSources(definitions, request.sources);
  const query =
    typeof request.query === "string" && request.query.trim().length > 0 ? request.query : undefined;

  const reads: Array<{ source: AnySource; key: KeyInfo }> = [];
  const realtime: Array<{ source: RealtimeSource; key: KeyInfo }> = [];
  const vectors: Array<{ source: VectorSource; key: KeyInfo | undefined }> = [];
  const skippedSources: Resolution[] = [];
  for (const source of selected) {
    const entity = source.entity as Entity | undefined;
    const key = entity ? keys.get(entity.name) : undefined;
    if (entity && !key) {
      skippedSources.push(skipped(source, `no "${entity.name}" key in the request`));
      continue;
    }
    switch (source.tier) {
      case "batch":
      case "stream":
        reads.push({ source, key: key as KeyInfo });
        break;
      case "realtime":
        realtime.push({ source, key: key as KeyInfo });
        break;
      case "vector":
        if (!query) skippedSources.push(skipped(source, "no query in the request to search with"));
        else vectors.push({ source, key });
        break;
    }
  }
  const warnings: string[] = [];
  if (realtime.length > 2) {
    warnings.push(
      `${realtime.length} realtime lookups planned for one request; more than two is a smell (each is a source call on the critical path): precompute the stable ones as batch or stream sources.`,
    );
  }
  return {
    maxTokens,
    deadlineMs,
    now,
    keys,
    selected,
    query,
    reads,
    realtime,
    vectors,
    skipped: skippedSources,
    warnings,
  };
}

function resolveKeys(
  definitions: PlanDefinitions,
  requestKeys: Readonly<Record<string, unknown>>,
): Map<string, KeyInfo> {
  const keys = new Map<string, KeyInfo>();
  for (const [name, key] of Object.entries(requestKeys)) {
    if (key === undefined) continue;
    const entity = definitions.entities.get(name);
    if (!entity) {
      throw new CtxError(
        "CTX_UNKNOWN_ENTITY",
        `keys.${name}: no source uses an entity named "${name}". Known entities: ${[...definitions.entities.keys()].join(", ") || "(none)"}.`,
        { entity: name },
      );
    }
    const parsed = entity.key.safeParse(key);
    if (!parsed.success) {
      throw new CtxError(
        "CTX_INVALID_KEY",
        `keys.${name} does not match the "${name}" key schema (${describeIssues(parsed.error.issues)}).`,
        { entity: name },
      );
    }
    keys.set(name, { entity, parsed: parsed.data, canonical: canonicalize(parsed.data) });
  }
  return keys;
}

function selectSources(definitions: PlanDefinitions, names: readonly string[] | undefined): AnySource[] {
  if (names === undefined) return [...definitions.sources.values()];
  return names.map((name) => {
    const source = definitions.sources.get(name);
    if (!source) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `request.sources names "${name}", which is not a source of this context store (${[...definitions.sources.keys()].join(", ")}).`,
        {
          source: name,
        },
      );
    }
    return source;
  });
}
