// The assembly pipeline behind `ctx.assemble`: validate the request, then in parallel ONE online-store
// read for every batch/stream value, the realtime resolvers and the vector searches, all under one
// request deadline; classify every value into exactly one status; apply unavailable policies; pack
// under the token budget; return the text with a full trace.

import type { Compiled } from "../context/create.js";
import type { AssembleOverrides, AssembleRequest, AssembleResult, ResolvedValue } from "../context/types.js";
import { parseDuration, toEpochMs } from "../definitions/duration.js";
import type { Entity } from "../definitions/entity.js";
import { canonicalize } from "../definitions/entity.js";
import type { AnySource, VectorSource } from "../definitions/source.js";
import { CtxError, describeIssues } from "../errors.js";
import { pack } from "../pack/packer.js";
import type { OnlineStore } from "../stores/types.js";
import type { Tokenizer } from "../tokenize/types.js";
import { buildTrace } from "../trace/build.js";
import { buildSections } from "./blocks.js";
import { ensureLines, readOnline } from "./online-read.js";
import type { RealtimeCaller } from "./realtime.js";
import { fromOverride, fromRealtime } from "./realtime-outcome.js";
import type { KeyInfo, Resolution } from "./resolution.js";
import { isFactStatus, skipped } from "./resolution.js";
import { searchVector } from "./vector-search.js";

export interface AssemblyDeps {
  readonly compiled: Compiled;
  readonly online: OnlineStore;
  readonly tokenizer: Tokenizer;
  readonly realtime: RealtimeCaller;
  readonly clock: () => number;
}

/** One source's resolution, before policies and packing. */

export async function assembleWith(
  deps: AssemblyDeps,
  request: AssembleRequest,
  overrides: AssembleOverrides,
): Promise<AssembleResult> {
  const started = performance.now();
  const { compiled, tokenizer } = deps;
  if (!request || typeof request !== "object" || typeof request.keys !== "object" || request.keys === null) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "assemble needs { keys: { <entity>: <key> }, budget: { maxTokens } }.",
      {},
    );
  }
  const maxTokens = validateBudget(request.budget);
  const now = overrides.now === undefined ? deps.clock() : toEpochMs(overrides.now, "overrides.now");
  const deadlineMs =
    request.deadline === undefined
      ? compiled.defaultDeadlineMs
      : parseDuration(request.deadline, "request deadline");
  const deadlineAt = started + deadlineMs;
  const keys = resolveKeys(compiled, request.keys);
  const selected = selectSources(compiled, request.sources);
  const query =
    typeof request.query === "string" && request.query.trim().length > 0 ? request.query : undefined;
  const warnings: string[] = [];
  let tokenizerCalls = 0;
  const countTokenize = () => {
    tokenizerCalls += 1;
  };

  // A caller that aborts does not want the result: reject with its reason (standard AbortSignal
  // behaviour) instead of returning values marked as timed out.
  request.signal?.throwIfAborted();
  const controller = new AbortController();
  const deadlineTimer = setTimeout(
    () => controller.abort(new Error(`request deadline of ${deadlineMs}ms reached`)),
    deadlineMs,
  );
  const onOuterAbort = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener("abort", onOuterAbort, { once: true });

  try {
    const resolutions = new Map<string, Resolution>();
    const readPlan: { source: AnySource; key: KeyInfo }[] = [];
    const realtimePlan: { source: AnySource & { tier: "realtime" }; key: KeyInfo }[] = [];
    const vectorPlan: { source: VectorSource; key: KeyInfo | undefined }[] = [];

    for (const source of selected) {
      const entity = source.entity as Entity | undefined;
      const key = entity ? keys.get(entity.name) : undefined;
      if (entity && !key) {
        resolutions.set(source.name, skipped(source, `no "${entity.name}" key in the request`));
        continue;
      }
      switch (source.tier) {
        case "batch":
        case "stream":
          readPlan.push({ source, key: key as KeyInfo });
          break;
        case "realtime":
          realtimePlan.push({ source, key: key as KeyInfo });
          break;
        case "vector":
          if (!query) resolutions.set(source.name, skipped(source, "no query in the request to search with"));
          else vectorPlan.push({ source, key });
          break;
      }
    }
    if (realtimePlan.length > 2) {
      warnings.push(
        `${realtimePlan.length} realtime lookups planned for one request; more than two is a smell (each is a source call on the critical path): precompute the stable ones as batch or stream sources.`,
      );
    }
    const validateMs = performance.now() - started;

    const timings = { onlineReadMs: 0, realtimeMs: 0, vectorMs: 0 };
    const online = overrides.online ?? deps.online;
    const readDone =
      readPlan.length === 0
        ? Promise.resolve()
        : readOnline(
            online,
            readPlan,
            now,
            deadlineAt,
            controller.signal,
            compiled.validateOnRead,
            resolutions,
            timings,
          );
    const realtimeDone = Promise.all(
      realtimePlan.map(async ({ source, key }) => {
        const override = overrides.realtime?.[source.name];
        const outcome = override
          ? fromOverride(override, now)
          : await deps.realtime.call(source, key.parsed, key.canonical, {
              query,
              now,
              waitMs: deadlineAt - performance.now(),
              signal: controller.signal,
            });
        timings.realtimeMs = Math.max(timings.realtimeMs, outcome.latencyMs);
        resolutions.set(source.name, fromRealtime(source, key.canonical, outcome, deps.realtime));
      }),
    );
    const vectorDone = Promise.all(
      vectorPlan.map(async ({ source, key }) => {
        const resolution = await searchVector(
          source,
          key,
          query as string,
          request.tenant,
          deadlineAt,
          controller.signal,
          tokenizer,
        );
        timings.vectorMs = Math.max(timings.vectorMs, resolution.latencyMs);
        resolutions.set(source.name, resolution);
      }),
    );
    await Promise.all([readDone, realtimeDone, vectorDone]);
    request.signal?.throwIfAborted();

    // Realtime values are rendered per request by nature; batch/stream values should carry counts
    // from write time, so tokenizing one here is worth a warning (written elsewhere, other encoding).
    let storedWithoutCounts = 0;
    for (const resolution of resolutions.values()) {
      if (resolution.status !== "ok" && resolution.status !== "stale") continue;
      const stored = resolution.source.tier === "batch" || resolution.source.tier === "stream";
      ensureLines(resolution, tokenizer, () => {
        countTokenize();
        if (stored) storedWithoutCounts += 1;
      });
    }
    if (storedWithoutCounts > 0) {
      warnings.push(
        `${storedWithoutCounts} stored value(s) had no precomputed ${tokenizer.encoding} token counts and were tokenized at request time: write them through this context store (same encoding) so packing does no tokenizing.`,
      );
    }

    const ordered = selected.map((source) => resolutions.get(source.name) as Resolution);
    const failedRequired = ordered.filter(
      (resolution) => resolution.source.required && !isFactStatus(resolution.status),
    );
    if (failedRequired.length > 0) {
      const list = failedRequired
        .map((r) => `${r.source.name} is ${r.status}${r.reason ? ` (${r.reason})` : ""}`)
        .join("; ");
      throw new CtxError(
        "CTX_REQUIRED_UNAVAILABLE",
        `Required context is unavailable: ${list}. Nothing was assembled, so no prompt goes out with this context silently missing; retry, or mark the source optional (required: false, onUnavailable: "note").`,
        {
          sources: failedRequired.map((r) => ({ source: r.source.name, status: r.status, reason: r.reason })),
        },
      );
    }

    const packStarted = performance.now();
    const { sections, rendered } = buildSections(compiled, ordered, now, tokenizer, countTokenize, warnings);
    const packed = pack({ sections, maxTokens, tokenizer });
    tokenizerCalls += packed.tokenizerCalls;
    const packMs = performance.now() - packStarted;

    const totalMs = performance.now() - started;
    const trace = buildTrace({
      ordered,
      packed,
      rendered,
      keys,
      request,
      query,
      maxTokens,
      deadlineMs,
      now,
      encoding: tokenizer.encoding,
      phases: { validateMs, ...timings, packMs, totalMs },
      tokenizerCalls,
      warnings,
    });
    const values: Record<string, ResolvedValue> = {};
    for (const resolution of ordered) {
      values[resolution.source.name] = {
        source: resolution.source.name,
        tier: resolution.source.tier,
        status: resolution.status,
        ...(resolution.value === undefined ? {} : { value: resolution.value }),
        ...(resolution.eventTime === undefined
          ? {}
          : { eventTime: resolution.eventTime, ageMs: Math.max(0, now - resolution.eventTime) }),
        ...(resolution.reason === undefined ? {} : { reason: resolution.reason }),
      };
    }
    return { text: packed.text, tokens: packed.tokens, sections: packed.sections, values, trace };
  } finally {
    clearTimeout(deadlineTimer);
    request.signal?.removeEventListener("abort", onOuterAbort);
  }
}

function validateBudget(budget: unknown): number {
  const maxTokens = (budget as { maxTokens?: unknown } | undefined)?.maxTokens;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens <= 0) {
    throw new CtxError(
      "CTX_INVALID_BUDGET",
      `budget.maxTokens must be a positive whole number of tokens (e.g. { maxTokens: 1500 }); got ${JSON.stringify(maxTokens)}.`,
      { maxTokens },
    );
  }
  return maxTokens;
}

function resolveKeys(
  compiled: Compiled,
  requestKeys: Readonly<Record<string, unknown>>,
): Map<string, KeyInfo> {
  const keys = new Map<string, KeyInfo>();
  for (const [name, key] of Object.entries(requestKeys)) {
    if (key === undefined) continue;
    const entity = compiled.entities.get(name);
    if (!entity) {
      throw new CtxError(
        "CTX_UNKNOWN_ENTITY",
        `keys.${name}: no source uses an entity named "${name}". Known entities: ${[...compiled.entities.keys()].join(", ") || "(none)"}.`,
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

function selectSources(compiled: Compiled, names: readonly string[] | undefined): AnySource[] {
  if (names === undefined) return [...compiled.sources.values()];
  return names.map((name) => {
    const source = compiled.sources.get(name);
    if (!source) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `request.sources names "${name}", which is not a source of this context store (${[...compiled.sources.keys()].join(", ")}).`,
        {
          source: name,
        },
      );
    }
    return source;
  });
}
