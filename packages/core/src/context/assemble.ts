// The assembly pipeline behind `ctx.assemble`, phase by phase (docs/architecture.md draws it):
//   1. resolve/plan            check the request, decide each source's lookup (or skip it, saying why)
//   2. in parallel, under one request deadline (resolve/deadline):
//        resolve/online-read        ONE online-store read for every batch/stream value
//        resolve/realtime-lookups   the realtime resolvers
//        resolve/vector-search      the vector searches
//   3. resolve/prompt-lines     prompt lines and token counts for what can reach the prompt
//   4. resolve/unavailable-policies   required -> throw; fallback / note / omit for the rest
//   5. resolve/sections         blocks grouped into the packer's sections
//   6. pack/                    packing under the token budget
//   7. trace/                   the trace of all of it
// Each phase takes an options object and returns its result; this function only passes them along.

import {
  type CompiledGovernance,
  checkPrincipal,
  previewPolicy,
  purposePolicy,
  requestTenant,
} from "../definitions/governance.js";
import type { AnySource } from "../definitions/source.js";
import { pack } from "../pack/packer.js";
import { startDeadline } from "../resolve/deadline.js";
import { applyAccess, redactResolutions } from "../resolve/governance.js";
import { readOnline } from "../resolve/online-read.js";
import { planAssembly } from "../resolve/plan.js";
import { withPromptLines } from "../resolve/prompt-lines.js";
import type { RealtimeCaller } from "../resolve/realtime-caller.js";
import { lookUpRealtime } from "../resolve/realtime-lookups.js";
import { watchRequired } from "../resolve/required-watch.js";
import type { Resolution } from "../resolve/resolution.js";
import { buildSections } from "../resolve/sections.js";
import { applyUnavailablePolicies } from "../resolve/unavailable-policies.js";
import { searchVectors } from "../resolve/vector-search.js";
import type { OnlineStore } from "../stores/types.js";
import type { assemblyTelemetry } from "../telemetry/assembly-telemetry.js";
import type { Tokenizer } from "../tokenize/types.js";
import { buildTrace } from "../trace/build.js";
import type { Compiled } from "./compile.js";
import { waitForTokenizer } from "./tokenizer-wait.js";
import type { AssembleOverrides, AssembleRequest, AssembleResult, ResolvedValue } from "./types.js";

export interface AssemblyDeps {
  readonly compiled: Compiled;
  /** Tenancy, purposes and redaction (resolve/governance.ts). */
  readonly governance: CompiledGovernance;
  /** The context store's online store; `overrides.online` replaces it for one assembly. */
  readonly online: OnlineStore;
  readonly tokenizer: Tokenizer;
  readonly realtime: RealtimeCaller;
  readonly clock: () => number;
  /** The store's default rendering format ("markdown" when absent). */
  readonly format?: "markdown" | "xml";
  /** OpenTelemetry spans and metrics (telemetry/); begins nothing when no provider is registered. */
  readonly telemetry?: ReturnType<typeof assemblyTelemetry>;
  /** When the caller asked (`performance.now()`): the deadline and the trace's totalMs count from it. */
  readonly startedAt?: number;
  /** Present while the tokenizer loads: waited for within the deadline (context/tokenizer-wait.ts). */
  readonly untilReady?: () => Promise<void>;
}

export async function assemble(
  deps: AssemblyDeps,
  request: AssembleRequest,
  overrides: AssembleOverrides,
): Promise<AssembleResult> {
  const started = deps.startedAt ?? performance.now();
  const { compiled, tokenizer, governance } = deps;
  // Governance first: a bad tenant, purpose or principal reads nothing.
  const multiTenant = governance.multiTenant;
  const tenant = multiTenant ? requestTenant(true, request?.tenant, "assemble") : request?.tenant;
  const purpose = request?.purpose ?? "serving";
  const requestPolicy = purposePolicy(governance, purpose, "assemble");
  const principal = checkPrincipal(request?.principal, "assemble");
  // A preview (the inspector showing serving's prompt) never reveals what the request's purpose masks.
  const preview = overrides.previewPurpose;
  const policy =
    preview === undefined
      ? requestPolicy
      : previewPolicy(requestPolicy, purposePolicy(governance, preview, "assemble"), principal);
  const plan = applyAccess(
    planAssembly({
      definitions: compiled,
      request,
      nowOverride: overrides.now,
      clock: deps.clock,
    }),
    principal,
  );
  const { now, query } = plan;
  const warnings: string[] = [...plan.warnings];
  let tokenizerCalls = 0;
  const onTokenize = () => {
    tokenizerCalls += 1;
  };

  // A caller that aborts does not want the result: reject with its reason (standard AbortSignal
  // behaviour) instead of returning values marked as timed out.
  request.signal?.throwIfAborted();
  const deadline = startDeadline({ startedAt: started, deadlineMs: plan.deadlineMs, signal: request.signal });
  if (deps.untilReady) {
    try {
      const waitedMs = await waitForTokenizer({
        untilReady: deps.untilReady,
        deadline,
        deadlineMs: plan.deadlineMs,
        startedAt: started,
        encoding: tokenizer.encoding,
        signal: request.signal,
      });
      warnings.push(
        `waited ${Math.round(waitedMs)}ms of the deadline for the ${tokenizer.encoding} tokenizer to load: call \`await ctx.ready()\` at start-up.`,
      );
    } catch (error) {
      deadline.release();
      throw error;
    }
  }
  const telemetry = deps.telemetry?.begin({
    sources: plan.selected,
    entities: [...plan.keys.keys()],
    maxTokens: plan.maxTokens,
    deadlineMs: plan.deadlineMs,
    query,
    encoding: tokenizer.encoding,
  });
  // A required source found unavailable fails the assembly at once and aborts the other lookups.
  const required = watchRequired(deadline.signal);
  required.observe(plan.skipped);
  const observed = <R extends { readonly resolutions: readonly Resolution[] }>(result: R): R => {
    required.observe(result.resolutions);
    return result;
  };
  const lookupSpan = telemetry?.lookup;
  const instrument = (source: AnySource, run: () => Promise<Resolution>): Promise<Resolution> =>
    (lookupSpan ? lookupSpan(source, run) : run()).then((resolution) => {
      required.observe([resolution]);
      return resolution;
    });
  try {
    const validateMs = performance.now() - started;
    const online = overrides.online ?? deps.online;
    const lookups = () =>
      Promise.race([
        required.failure,
        Promise.all([
          readOnline({
            online,
            plan: plan.reads,
            tenant: multiTenant ? tenant : undefined,
            now,
            deadlineAt: deadline.at,
            signal: required.signal,
            validateOnRead: compiled.validateOnRead,
          }).then(observed),
          lookUpRealtime({
            plan: plan.realtime,
            caller: deps.realtime,
            tenant,
            overrides: overrides.realtime,
            query,
            now,
            deadlineAt: deadline.at,
            signal: required.signal,
            instrument,
          }),
          searchVectors({
            plan: plan.vectors,
            query: query as string,
            tenant,
            tenantRequired: multiTenant,
            deadlineAt: deadline.at,
            signal: required.signal,
            tokenizer,
            instrument,
          }),
        ]),
      ]);
    const [onlineRead, realtime, vectors] = await (telemetry ? telemetry.within(lookups) : lookups());
    if (telemetry && onlineRead.roundTrip) telemetry.onlineRead(online.name, onlineRead.roundTrip);
    request.signal?.throwIfAborted();

    const byName = new Map<string, Resolution>();
    for (const resolution of [
      ...plan.skipped,
      ...onlineRead.resolutions,
      ...realtime.resolutions,
      ...vectors.resolutions,
    ])
      byName.set(resolution.source.name, resolution);
    const lined = withPromptLines({
      resolutions: plan.selected.map((source) => byName.get(source.name) as Resolution),
      tokenizer,
      onTokenize,
      deadlineAt: deadline.at,
    });
    const ordered = redactResolutions(lined.resolutions, {
      governance,
      policy,
      purpose: preview === undefined ? purpose : `${preview}" previewed under "${purpose}`,
      principal,
      tokenizer,
      onTokenize,
    });
    // Realtime values are rendered per request by nature; batch/stream values should carry counts
    // from write time, so tokenizing one here is worth a warning (written elsewhere, other encoding).
    if (lined.storedWithoutCounts > 0) {
      warnings.push(
        `${lined.storedWithoutCounts} stored value(s) had no precomputed ${tokenizer.encoding} token counts and were tokenized at request time: write them through this context store (same encoding) so packing does no tokenizing.`,
      );
    }

    const packStarted = performance.now();
    const policies = applyUnavailablePolicies({
      resolutions: ordered,
      now,
      tokenizer,
      onTokenize,
      deadlineAt: deadline.at,
    });
    const { sections, rendered } = buildSections({
      resolutions: ordered,
      unavailable: policies.outcomes,
      sections: compiled.sections,
      tokenizer,
      onTokenize,
    });
    warnings.push(...policies.warnings);
    const packed = pack({
      sections,
      maxTokens: plan.maxTokens,
      tokenizer,
      format: request.format ?? deps.format ?? "markdown",
    });
    tokenizerCalls += packed.tokenizerCalls;
    warnings.push(...packed.warnings);
    const packMs = performance.now() - packStarted;

    const totalMs = performance.now() - started;
    const trace = buildTrace({
      ordered,
      packed,
      rendered,
      keys: plan.keys,
      query,
      maxTokens: plan.maxTokens,
      deadlineMs: plan.deadlineMs,
      now,
      encoding: tokenizer.encoding,
      phases: {
        validateMs,
        onlineReadMs: onlineRead.latencyMs,
        realtimeMs: realtime.latencyMs,
        vectorMs: vectors.latencyMs,
        packMs,
        totalMs,
      },
      tokenizerCalls,
      warnings,
    });
    const values = valuesOf(ordered, now);
    telemetry?.succeeded(trace, values);
    return {
      text: packed.text,
      tokens: packed.tokens,
      sections: packed.sections,
      values,
      trace,
      warnings: trace.warnings,
    };
  } catch (error) {
    telemetry?.failed(error, performance.now() - started);
    throw error;
  } finally {
    required.release();
    deadline.release();
  }
}

/** Every requested source's status (and value, age, reason, empty reason, fallback when it has them), by source name. */
function valuesOf(ordered: readonly Resolution[], now: number): Record<string, ResolvedValue> {
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
      ...(resolution.status === "empty" && resolution.emptyReason !== undefined
        ? { emptyReason: resolution.emptyReason }
        : {}),
      ...(resolution.fallback === undefined ? {} : { fallback: resolution.fallback }),
    };
  }
  return values;
}
