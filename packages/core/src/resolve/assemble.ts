// The assembly pipeline behind `ctx.assemble`: validate the request, then in parallel ONE online-store
// read for every batch/stream value, the realtime resolvers and the vector searches, all under one
// request deadline; classify every value into exactly one status; apply unavailable policies; pack
// under the token budget; return the text with a full trace.

import type { Compiled } from "../context/create.js";
import type { AssembleOverrides, AssembleRequest, AssembleResult, ResolvedValue } from "../context/types.js";
import { formatDuration, parseDuration, toEpochMs } from "../definitions/duration.js";
import type { Entity } from "../definitions/entity.js";
import { canonicalize } from "../definitions/entity.js";
import {
  type AnySource,
  sourceField,
  TIER_RANK,
  type Tier,
  type VectorSource,
} from "../definitions/source.js";
import type { Envelope, RenderedText, Status } from "../envelope.js";
import { CtxError, describeIssues } from "../errors.js";
import { pack } from "../pack/packer.js";
import type { PackBlock, PackOutput, PackSection } from "../pack/types.js";
import { normalizeLines } from "../render/normalize.js";
import { fallbackLabel, renderValue, tokensFor, unknownNote } from "../render/value.js";
import type { OnlineReadResult, OnlineStore, ReadRequest, ReadResult } from "../stores/types.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { AssemblyTrace, SourceTrace } from "../trace/types.js";
import { vectorHitsToBlock } from "../vector/results.js";
import type { VectorHit } from "../vector/types.js";
import {
  DEADLINE,
  errorMessage,
  type RealtimeCaller,
  type RealtimeOutcome,
  raceDeadline,
} from "./realtime.js";

export interface AssemblyDeps {
  readonly compiled: Compiled;
  readonly online: OnlineStore;
  readonly tokenizer: Tokenizer;
  readonly realtime: RealtimeCaller;
  readonly clock: () => number;
}

/** One source's resolution, before policies and packing. */
interface Resolution {
  readonly source: AnySource;
  readonly key: string | undefined;
  status: Status;
  reason?: string;
  latencyMs: number;
  eventTime?: number;
  value?: unknown;
  emptyReason?: string;
  /** Lines and counts of the value (ok or stale), when it has any. */
  lines?: readonly string[];
  tokens?: readonly number[];
  kind?: "text" | "list";
  scores?: readonly number[];
  shared?: boolean;
  /** The stored rendering of a batch value, or the stored events of a stream window. */
  rendered?: RenderedText;
  windowEvents?: readonly Envelope[];
  /** The value shown under the `fallback` policy (realtime last known good). */
  fallback?: { value: unknown; eventTime: number };
}

interface KeyInfo {
  readonly entity: Entity;
  readonly parsed: unknown;
  readonly canonical: string;
}

let assemblies = 0;

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

function skipped(source: AnySource, reason: string): Resolution {
  return { source, key: undefined, status: "skipped", reason, latencyMs: 0 };
}

function isFactStatus(status: Status): boolean {
  return status === "ok" || status === "empty";
}

async function readOnline(
  online: OnlineStore,
  plan: readonly { source: AnySource; key: KeyInfo }[],
  now: number,
  deadlineAt: number,
  signal: AbortSignal,
  validateOnRead: boolean,
  resolutions: Map<string, Resolution>,
  timings: { onlineReadMs: number },
): Promise<void> {
  const records: ReadRequest[] = plan.map(({ source, key }) => ({
    entity: key.entity.name,
    key: key.canonical,
    field: sourceField(source),
    kind: source.tier === "stream" ? "window" : "value",
  }));
  const watermarks = plan
    .filter(({ source }) => source.tier === "stream")
    .map(({ source }) => sourceField(source));
  const started = performance.now();
  let result: OnlineReadResult | typeof DEADLINE;
  try {
    result = await raceDeadline(
      online.read({ records, watermarks }, { signal }),
      deadlineAt - started,
      signal,
    );
  } catch (error) {
    const latencyMs = performance.now() - started;
    timings.onlineReadMs = latencyMs;
    for (const { source, key } of plan) {
      resolutions.set(source.name, {
        source,
        key: key.canonical,
        status: "error",
        reason: `${online.name} read failed: ${errorMessage(error)}`,
        latencyMs,
      });
    }
    return;
  }
  const latencyMs = performance.now() - started;
  timings.onlineReadMs = latencyMs;
  if (result === DEADLINE) {
    for (const { source, key } of plan) {
      resolutions.set(source.name, {
        source,
        key: key.canonical,
        status: "timeout",
        reason: `${online.name} read did not answer within the request deadline`,
        latencyMs,
      });
    }
    return;
  }
  plan.forEach(({ source, key }, index) => {
    const record = result.records[index];
    const resolution: Resolution = { source, key: key.canonical, status: "missing", latencyMs };
    if (!record) {
      resolution.status = "error";
      resolution.reason = `${online.name} returned no result for this record`;
    } else if (source.tier === "stream") {
      classifyWindow(resolution, record, result.watermarks[sourceField(source)], now, validateOnRead);
    } else {
      classifyValue(resolution, record, now, validateOnRead);
    }
    resolutions.set(source.name, resolution);
  });
}

/** True when the store answered with the expected kind of record; otherwise marks it invalid. */
function recordOfKind<Kind extends "value" | "window">(
  resolution: Resolution,
  record: ReadResult,
  kind: Kind,
): record is Extract<ReadResult, { kind: Kind }> {
  if (record.kind === kind) return true;
  resolution.status = "invalid";
  resolution.reason =
    record.kind === "invalid"
      ? record.reason
      : `expected a ${kind} record, the store returned a ${record.kind}`;
  return false;
}

function classifyValue(
  resolution: Resolution,
  record: ReadResult,
  now: number,
  validateOnRead: boolean,
): void {
  const { source } = resolution;
  if (!recordOfKind(resolution, record, "value")) return;
  const envelope = record.envelope;
  if (!envelope) {
    resolution.status = "missing";
    resolution.reason = "no value stored (never computed for this key)";
    return;
  }
  const problem = envelopeProblem(source, envelope, validateOnRead);
  if (problem) {
    resolution.status = "invalid";
    resolution.reason = problem;
    return;
  }
  resolution.eventTime = envelope.eventTime;
  if (source.maxAgeMs !== undefined && now - envelope.eventTime > source.maxAgeMs) {
    resolution.status = "stale";
    resolution.reason = `${formatDuration(now - envelope.eventTime)} old, older than maxAge ${formatDuration(source.maxAgeMs)}`;
  } else {
    resolution.status = envelope.empty ? "empty" : "ok";
  }
  if (envelope.empty) {
    if (envelope.emptyReason !== undefined) resolution.emptyReason = envelope.emptyReason;
    return;
  }
  resolution.value = envelope.value;
  if (envelope.rendered) resolution.rendered = envelope.rendered;
}

function classifyWindow(
  resolution: Resolution,
  record: ReadResult,
  watermark: number | undefined,
  now: number,
  validateOnRead: boolean,
): void {
  const { source } = resolution;
  if (!recordOfKind(resolution, record, "window")) return;
  const events: Envelope[] = [];
  let rejected = 0;
  for (const event of record.events) {
    if (envelopeProblem(source, event, validateOnRead)) rejected += 1;
    else events.push(event);
  }
  if (rejected > 0 && events.length === 0) {
    resolution.status = "invalid";
    resolution.reason = `all ${rejected} stored event(s) failed validation`;
    return;
  }
  const newest = events.length > 0 ? (events[events.length - 1] as Envelope).eventTime : undefined;
  const freshness = Math.max(watermark ?? Number.NEGATIVE_INFINITY, newest ?? Number.NEGATIVE_INFINITY);
  if (events.length === 0 && watermark === undefined) {
    resolution.status = "missing";
    resolution.reason =
      "no events stored and no ingest watermark: cannot tell an empty stream from one that never ran";
    return;
  }
  // The value's age is its newest event's; freshness (newest event or ingest watermark) decides staleness.
  resolution.eventTime = newest ?? freshness;
  const stale = source.maxAgeMs !== undefined && now - freshness > source.maxAgeMs;
  if (stale) {
    resolution.status = "stale";
    resolution.reason = `ingest last confirmed ${formatDuration(now - freshness)} ago, longer than maxAge ${formatDuration(source.maxAgeMs as number)}: the pipeline may be stalled`;
  } else {
    resolution.status = events.length === 0 ? "empty" : "ok";
  }
  if (events.length === 0) return;
  if (rejected > 0) resolution.reason = `${rejected} stored event(s) failed validation and were left out`;
  resolution.value = events.map((event) => event.value);
  resolution.windowEvents = events;
}

function envelopeProblem(source: AnySource, envelope: Envelope, validateOnRead: boolean): string | undefined {
  if (typeof envelope.eventTime !== "number" || !Number.isFinite(envelope.eventTime))
    return "envelope has no valid eventTime";
  if (envelope.schemaVersion !== source.version) {
    return `stored schema version ${envelope.schemaVersion}, source "${source.name}" expects version ${source.version}`;
  }
  if (validateOnRead && !envelope.empty) {
    const parsed = source.schema.safeParse(envelope.value);
    if (!parsed.success) return `stored value fails the schema: ${describeIssues(parsed.error.issues)}`;
  }
  return undefined;
}

/** Fills `lines`/`tokens` with the context store's encoding, rendering only what lacks stored counts. */
function ensureLines(resolution: Resolution, tokenizer: Tokenizer, onTokenize: () => void): void {
  if (resolution.lines && resolution.tokens) return;
  const { source } = resolution;
  if (resolution.windowEvents) {
    const lines: string[] = [];
    const tokens: number[] = [];
    for (const event of resolution.windowEvents) {
      const rendered = event.rendered ?? renderFresh(source, event.value, tokenizer, onTokenize);
      const counts = tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize);
      rendered.lines.forEach((line, index) => {
        lines.push(line);
        tokens.push(counts[index] as number);
      });
    }
    resolution.kind = "list";
    resolution.lines = lines;
    resolution.tokens = tokens;
    return;
  }
  if (resolution.value === undefined) return;
  const rendered = resolution.rendered ?? renderFresh(source, resolution.value, tokenizer, onTokenize);
  resolution.kind = rendered.kind;
  resolution.lines = rendered.lines;
  resolution.tokens = tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize);
}

/**
 * Renders a value at request time (realtime values, or stored values without counts). Line counts go
 * through the process-wide memo, so a realtime value that repeats (the usual case) costs no tokenizing.
 */
function renderFresh(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): RenderedText {
  const memoised: Tokenizer = { ...tokenizer, count: (text) => cachedCount(tokenizer, text, onTokenize) };
  return renderValue(source, value, memoised);
}

function fromOverride(
  override: NonNullable<AssembleOverrides["realtime"]>[string],
  now: number,
): RealtimeOutcome {
  if ("status" in override)
    return {
      status: override.status,
      latencyMs: 0,
      ...(override.reason === undefined ? {} : { reason: override.reason }),
    };
  if ("empty" in override) {
    return {
      status: "empty",
      latencyMs: 0,
      eventTime: override.eventTime ?? now,
      ...(override.reason === undefined ? {} : { emptyReason: override.reason }),
    };
  }
  return { status: "ok", value: override.value, latencyMs: 0, eventTime: override.eventTime ?? now };
}

function fromRealtime(
  source: AnySource,
  key: string,
  outcome: RealtimeOutcome,
  caller: RealtimeCaller,
): Resolution {
  const resolution: Resolution = { source, key, status: outcome.status, latencyMs: outcome.latencyMs };
  if (outcome.reason !== undefined) resolution.reason = outcome.reason;
  if (outcome.eventTime !== undefined) resolution.eventTime = outcome.eventTime;
  if (outcome.emptyReason !== undefined) resolution.emptyReason = outcome.emptyReason;
  if (outcome.shared) resolution.shared = true;
  if (outcome.status === "ok") {
    if (source.tier === "realtime") {
      const parsed = source.schema.safeParse(outcome.value);
      if (!parsed.success) {
        resolution.status = "invalid";
        resolution.reason = `fails its schema: ${describeIssues(parsed.error.issues)}`;
        return resolution;
      }
      resolution.value = parsed.data;
    } else {
      resolution.value = outcome.value;
    }
  } else if (!isFactStatus(outcome.status)) {
    const lastGood = caller.lastKnownGood(source.name, key);
    if (lastGood) resolution.fallback = lastGood;
  }
  return resolution;
}

async function searchVector(
  source: VectorSource,
  key: KeyInfo | undefined,
  query: string,
  requestTenant: string | undefined,
  deadlineAt: number,
  signal: AbortSignal,
  tokenizer: Tokenizer,
): Promise<Resolution> {
  const started = performance.now();
  const tenant =
    typeof source.tenant === "function"
      ? source.tenant({ tenant: requestTenant })
      : (source.tenant ?? requestTenant);
  const waitMs = Math.min(deadlineAt - started, source.timeoutMs ?? Number.POSITIVE_INFINITY);
  const resolution: Resolution = { source, key: key?.canonical, status: "missing", latencyMs: 0 };
  if (waitMs <= 0) {
    return { ...resolution, status: "skipped", reason: "request deadline already spent" };
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const search = (async (): Promise<VectorHit[]> => {
    let vectors: number[][];
    try {
      vectors = await source.embedder.embed([query], { signal: controller.signal });
    } catch (error) {
      throw new EmbedFailure(errorMessage(error));
    }
    const vectorValue = vectors[0];
    if (!vectorValue) throw new EmbedFailure("embedder returned no vector");
    return source.store.query(
      {
        vector: vectorValue,
        topK: source.topK,
        ...(source.minScore === undefined ? {} : { minScore: source.minScore }),
        ...(tenant === undefined ? {} : { tenant }),
        ...(key ? { entityKey: key.canonical } : {}),
        ...(source.filter === undefined ? {} : { filter: source.filter }),
      },
      { signal: controller.signal },
    );
  })();
  try {
    const hits = await raceDeadline(search, waitMs, controller.signal);
    resolution.latencyMs = performance.now() - started;
    if (hits === DEADLINE) {
      controller.abort(new Error("vector search timed out"));
      resolution.status = "timeout";
      resolution.reason = `vector search did not answer within ${Math.round(waitMs)}ms`;
      return resolution;
    }
    if (hits.length === 0) {
      resolution.status = "empty";
      resolution.emptyReason =
        source.minScore === undefined
          ? "the search returned no chunks"
          : `no chunk scored at or above ${source.minScore}`;
      return resolution;
    }
    const block = vectorHitsToBlock(hits, tokenizer);
    resolution.status = "ok";
    resolution.value = block.hits;
    resolution.kind = "list";
    resolution.lines = block.lines;
    resolution.tokens = block.tokens;
    resolution.scores = block.hits.map((hit) => hit.score);
    return resolution;
  } catch (error) {
    resolution.latencyMs = performance.now() - started;
    const timedOut = isTimeoutError(error);
    resolution.status = timedOut ? "timeout" : "error";
    resolution.reason =
      error instanceof EmbedFailure
        ? `embedder failed: ${error.message}`
        : `${source.store.name} search failed: ${errorMessage(error)}`;
    return resolution;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

class EmbedFailure extends Error {}

function isTimeoutError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === "TimeoutError" ||
    code === "CTX_TIMEOUT" ||
    code === "ETIMEDOUT" ||
    /timed? ?out/i.test(error.message)
  );
}

interface RenderedBlockInfo {
  readonly rendered: SourceTrace["rendered"];
  readonly candidateTokens: number;
}

function buildSections(
  compiled: Compiled,
  ordered: readonly Resolution[],
  now: number,
  tokenizer: Tokenizer,
  onTokenize: () => void,
  warnings: string[],
): { sections: PackSection[]; rendered: Map<string, RenderedBlockInfo> } {
  const bySection = new Map<string, { blocks: PackBlock[]; tierRank: number; priority: number }>();
  const rendered = new Map<string, RenderedBlockInfo>();
  const noteBlock = (resolution: Resolution, text: string): PackBlock => {
    const lines = normalizeLines(text);
    return {
      source: resolution.source.name,
      tier: resolution.source.tier,
      priority: resolution.source.priority,
      required: false,
      kind: "note",
      keep: "head",
      lines,
      tokens: lines.map((line) => cachedCount(tokenizer, `${line}\n`, onTokenize)),
    };
  };
  for (const resolution of ordered) {
    const { source } = resolution;
    let block: PackBlock | undefined;
    let how: SourceTrace["rendered"] = "none";
    if (resolution.status === "ok" && resolution.lines && resolution.tokens) {
      block = valueBlock(resolution, resolution.lines, resolution.tokens);
      how = "value";
    } else if (resolution.status === "empty") {
      block = noteBlock(resolution, source.renderEmpty(resolution.emptyReason));
      how = "empty";
    } else if (resolution.status !== "ok") {
      const policy = source.onUnavailable;
      if (policy === "fallback") {
        const fallback = fallbackContent(resolution, tokenizer, onTokenize);
        if (fallback) {
          const ageMs = fallback.eventTime === undefined ? undefined : Math.max(0, now - fallback.eventTime);
          const label = normalizeLines(fallbackLabel(source.label, ageMs));
          block = {
            ...valueBlock(resolution, fallback.lines, fallback.tokens),
            required: false,
            suffix: label,
          };
          how = "fallback";
          warnings.push(
            `${source.name}: ${resolution.status}; rendered the last known value (${ageMs === undefined ? "age unknown" : formatDuration(ageMs)} old) under the fallback policy.`,
          );
        } else {
          block = noteBlock(
            resolution,
            unknownNote(source.label, resolution.status as Exclude<Status, "ok" | "empty">),
          );
          how = "note";
        }
      } else if (policy === "note" || policy === "fail") {
        block = noteBlock(
          resolution,
          unknownNote(source.label, resolution.status as Exclude<Status, "ok" | "empty">),
        );
        how = "note";
      }
    }
    if (!block || block.lines.length === 0) {
      rendered.set(source.name, { rendered: how === "value" ? "value" : "none", candidateTokens: 0 });
      continue;
    }
    const suffixTokens = (block.suffix ?? []).reduce(
      (sum, line) => sum + cachedCount(tokenizer, `${line}\n`, onTokenize),
      0,
    );
    rendered.set(source.name, { rendered: how, candidateTokens: sum(block.tokens) + suffixTokens });
    const title = source.section.title;
    const entry = bySection.get(title) ?? {
      blocks: [],
      tierRank: TIER_RANK[source.tier],
      priority: source.priority,
    };
    entry.blocks.push(block);
    entry.tierRank = Math.min(entry.tierRank, TIER_RANK[source.tier]);
    entry.priority = Math.max(entry.priority, source.priority);
    bySection.set(title, entry);
  }
  const sections: PackSection[] = [];
  for (const [title, entry] of bySection) {
    const definition = compiled.sections.get(title);
    sections.push({
      title,
      priority: definition?.priority ?? entry.priority,
      tierRank: entry.tierRank,
      ...(definition?.minTokens === undefined ? {} : { minTokens: definition.minTokens }),
      ...(definition?.maxTokens === undefined ? {} : { maxTokens: definition.maxTokens }),
      blocks: entry.blocks,
    });
  }
  return { sections, rendered };
}

function valueBlock(resolution: Resolution, lines: readonly string[], tokens: readonly number[]): PackBlock {
  const { source } = resolution;
  return {
    source: source.name,
    tier: source.tier,
    priority: source.priority,
    required: source.required,
    kind: resolution.kind ?? "text",
    // Stream windows read oldest -> newest, so the newest are at the end; ranked lists keep the head.
    keep: source.tier === "stream" ? "tail" : "head",
    lines,
    tokens,
  };
}

function fallbackContent(
  resolution: Resolution,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): { lines: readonly string[]; tokens: readonly number[]; eventTime: number | undefined } | undefined {
  if (resolution.status === "stale" && resolution.lines && resolution.tokens && resolution.lines.length > 0) {
    return { lines: resolution.lines, tokens: resolution.tokens, eventTime: resolution.eventTime };
  }
  if (resolution.fallback) {
    const rendered = renderFresh(resolution.source, resolution.fallback.value, tokenizer, onTokenize);
    resolution.kind = rendered.kind;
    return {
      lines: rendered.lines,
      tokens: tokensFor(rendered, tokenizer.encoding, tokenizer, onTokenize),
      eventTime: resolution.fallback.eventTime,
    };
  }
  return undefined;
}

function buildTrace(input: {
  ordered: readonly Resolution[];
  packed: PackOutput;
  rendered: Map<string, RenderedBlockInfo>;
  keys: Map<string, KeyInfo>;
  request: AssembleRequest;
  query: string | undefined;
  maxTokens: number;
  deadlineMs: number;
  now: number;
  encoding: AssemblyTrace["encoding"];
  phases: AssemblyTrace["phases"];
  tokenizerCalls: number;
  warnings: string[];
}): AssemblyTrace {
  const blocks = new Map(input.packed.blocks.map((block) => [block.source, block]));
  const tierTokens: Record<Tier, number> = { batch: 0, stream: 0, realtime: 0, vector: 0 };
  let included = 0;
  let truncated = 0;
  let dropped = 0;
  let unavailable = 0;
  const sources: SourceTrace[] = input.ordered.map((resolution) => {
    const { source } = resolution;
    const block = blocks.get(source.name);
    const info = input.rendered.get(source.name);
    if (!isFactStatus(resolution.status)) unavailable += 1;
    if (block?.outcome === "included") included += 1;
    if (block?.outcome === "truncated") truncated += 1;
    if (block?.outcome === "dropped") dropped += 1;
    if (block) tierTokens[source.tier] += block.tokens;
    const entity = source.entity as Entity | undefined;
    return {
      source: source.name,
      tier: source.tier,
      section: source.section.title,
      entity: entity?.name,
      key: resolution.key,
      status: resolution.status,
      ...(resolution.reason === undefined ? {} : { reason: resolution.reason }),
      latencyMs: round(resolution.latencyMs),
      ...(resolution.eventTime === undefined
        ? {}
        : { eventTime: resolution.eventTime, ageMs: Math.max(0, input.now - resolution.eventTime) }),
      rendered: info?.rendered ?? "none",
      outcome: block ? block.outcome : "omitted",
      ...(block?.reason === undefined ? omittedReason(resolution, info) : { outcomeReason: block.reason }),
      tokens: block?.outcome === "dropped" ? 0 : (block?.tokens ?? 0),
      candidateTokens: block?.candidateTokens ?? info?.candidateTokens ?? 0,
      ...(resolution.scores === undefined ? {} : { scores: resolution.scores }),
      ...(resolution.shared ? { shared: true } : {}),
    };
  });
  const contentTokens = tierTokens.batch + tierTokens.stream + tierTokens.realtime + tierTokens.vector;
  const share = (tier: Tier) => (contentTokens === 0 ? 0 : round(tierTokens[tier] / contentTokens, 4));
  assemblies += 1;
  return {
    id: `asm-${input.now.toString(36)}-${assemblies.toString(36)}`,
    at: input.now,
    encoding: input.encoding,
    keys: Object.fromEntries([...input.keys].map(([name, key]) => [name, key.canonical])),
    query: input.query,
    budget: { maxTokens: input.maxTokens },
    deadlineMs: input.deadlineMs,
    sources,
    sections: input.packed.sections.map((section) => ({
      title: section.title,
      tokens: section.tokens,
      sources: section.sources,
    })),
    totals: {
      tokens: input.packed.tokens,
      budget: input.maxTokens,
      included,
      truncated,
      dropped,
      unavailable,
      tokenizerCalls: input.tokenizerCalls,
    },
    phases: {
      validateMs: round(input.phases.validateMs),
      onlineReadMs: round(input.phases.onlineReadMs),
      realtimeMs: round(input.phases.realtimeMs),
      vectorMs: round(input.phases.vectorMs),
      packMs: round(input.phases.packMs),
      totalMs: round(input.phases.totalMs),
    },
    tierShare: {
      batch: share("batch"),
      stream: share("stream"),
      realtime: share("realtime"),
      vector: share("vector"),
    },
    warnings: input.warnings,
  };
}

function omittedReason(
  resolution: Resolution,
  info: RenderedBlockInfo | undefined,
): { outcomeReason?: string } {
  if (info?.rendered === "value" && info.candidateTokens === 0)
    return { outcomeReason: "the value rendered to no text" };
  if (isFactStatus(resolution.status)) return {};
  return {
    outcomeReason: `status ${resolution.status} under the "${resolution.source.onUnavailable}" policy`,
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
