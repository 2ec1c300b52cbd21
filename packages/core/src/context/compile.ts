// compile(): checks a set of definitions once, together (unique source names, one entity per name,
// section options that agree, positive realtime timeouts), and produces what every assembly reads:
// sources, entities and sections by name, the default deadline. Bad definitions throw here, at
// start-up, instead of at the first request.

import { parseDuration } from "../definitions/duration.js";
import { type Entity, safeJson } from "../definitions/entity.js";
import { type AnySource, type SectionDefinition, sectionLimitProblem } from "../definitions/source.js";
import { CtxError } from "../errors.js";
import type { ContextStoreOptions } from "./types.js";

/** Everything the assembly pipeline needs, computed once from the definitions. */
export interface Compiled {
  readonly sources: ReadonlyMap<string, AnySource>;
  readonly entities: ReadonlyMap<string, Entity>;
  readonly sections: ReadonlyMap<string, SectionDefinition>;
  readonly defaultDeadlineMs: number;
  readonly validateOnRead: boolean;
}

export function compile(options: ContextStoreOptions): Compiled {
  if (!options || !Array.isArray(options.sources) || options.sources.length === 0) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      "createContextStore needs `sources`: a non-empty array of batch/stream/realtime/vector sources.",
      {},
    );
  }
  const sources = new Map<string, AnySource>();
  const entities = new Map<string, Entity>();
  const sections = new Map<string, SectionDefinition>();
  for (const [index, source] of options.sources.entries()) {
    if (source?.kind !== "source") {
      throw new CtxError(
        "CTX_INVALID_DEFINITION",
        `sources[${index}] is not a source: build sources with batch(), stream(), realtime() or vector(); got ${safeJson(source)}.`,
        {
          index,
        },
      );
    }
    if (sources.has(source.name)) {
      throw new CtxError(
        "CTX_DUPLICATE_SOURCE",
        `Two sources are named "${source.name}": source names must be unique within a context store.`,
        {
          source: source.name,
        },
      );
    }
    if (source.tier === "realtime" && !(source.timeoutMs > 0)) {
      throw new CtxError(
        "CTX_INVALID_DEFINITION",
        `Realtime source "${source.name}" has no positive timeout; define it with realtime(name, { timeout: "80ms", ... }).`,
        {
          source: source.name,
        },
      );
    }
    const entity = source.entity as Entity | undefined;
    if (entity) {
      const known = entities.get(entity.name);
      if (known && known !== entity) {
        throw new CtxError(
          "CTX_INVALID_DEFINITION",
          `Two different entities are named "${entity.name}" (used by source "${source.name}"): define each entity once and share it.`,
          { entity: entity.name, source: source.name },
        );
      }
      entities.set(entity.name, entity);
    }
    mergeSection(sections, source.section, source.name);
    sources.set(source.name, source);
  }
  for (const entity of options.entities ?? []) {
    if (!entities.has(entity.name)) entities.set(entity.name, entity);
  }
  if (options.entities) {
    const declared = new Set(options.entities);
    for (const source of sources.values()) {
      const entity = source.entity as Entity | undefined;
      if (entity && !declared.has(entity)) {
        throw new CtxError(
          "CTX_UNKNOWN_ENTITY",
          `Source "${source.name}" uses entity "${entity.name}", which is not in createContextStore({ entities }); add it there.`,
          { source: source.name, entity: entity.name },
        );
      }
    }
  }
  for (const override of options.sections ?? []) {
    if (!sections.has(override.title)) {
      throw new CtxError(
        "CTX_INVALID_DEFINITION",
        `Section options given for "${override.title}", but no source renders into a section of that title (sections: ${[...sections.keys()].join(", ")}).`,
        { section: override.title },
      );
    }
    sections.set(override.title, { ...sections.get(override.title), ...override });
  }
  for (const definition of sections.values()) validateSection(definition);
  const defaultDeadlineMs = parseDuration(options.deadline ?? "250ms", "createContextStore deadline");
  return { sources, entities, sections, defaultDeadlineMs, validateOnRead: options.validateOnRead ?? true };
}

function mergeSection(
  sections: Map<string, SectionDefinition>,
  definition: SectionDefinition,
  sourceName: string,
): void {
  const known = sections.get(definition.title);
  if (!known) {
    sections.set(definition.title, definition);
    return;
  }
  const merged: Record<string, unknown> = { ...known };
  for (const field of ["priority", "minTokens", "maxTokens"] as const) {
    const value = definition[field];
    if (value === undefined) continue;
    if (known[field] !== undefined && known[field] !== value) {
      throw new CtxError(
        "CTX_INVALID_DEFINITION",
        `Section "${definition.title}" has ${field} ${known[field]} in one source and ${value} in "${sourceName}": declare section options once (createContextStore({ sections })).`,
        { section: definition.title, field },
      );
    }
    merged[field] = value;
  }
  sections.set(definition.title, merged as unknown as SectionDefinition);
}

function validateSection(definition: SectionDefinition): void {
  const fail = (message: string) => {
    throw new CtxError("CTX_INVALID_DEFINITION", `Section "${definition.title}": ${message}`, {
      section: definition.title,
    });
  };
  for (const field of ["minTokens", "maxTokens"] as const) {
    const problem = sectionLimitProblem(field, definition[field]);
    if (problem !== undefined) fail(problem);
  }
  if (
    definition.minTokens !== undefined &&
    definition.maxTokens !== undefined &&
    definition.minTokens > definition.maxTokens
  ) {
    fail(`minTokens (${definition.minTokens}) is greater than maxTokens (${definition.maxTokens}).`);
  }
  if (definition.priority !== undefined && !(definition.priority >= 0 && definition.priority <= 100))
    fail(`priority must be 0..100; got ${definition.priority}.`);
}
