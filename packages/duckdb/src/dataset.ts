// Training datasets. For each label event, the prompt context is rendered exactly as `assemble`
// would have rendered it at that moment: the event's point-in-time values are written into a fresh
// in-memory online store and the SAME context store (definitions, packer, budget, encoding) assembles
// from it with its clock set to the event's timestamp. Training and serving cannot drift because
// there is only one renderer.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AnySource,
  type AssembleResult,
  type Budget,
  type ContextStore,
  CtxError,
  type Duration,
  empty,
  isCtxError,
  memoryStore,
  type Principal,
  type RealtimeOverride,
  type ValueWrite,
  type WindowAppend,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { contextStoreOption } from "./context-option.js";
import { keyColumn, type LabelInput, tenantJoin } from "./labels.js";
import { type DuckdbOfflineStore, HISTORY_TABLE, historyValue } from "./offline-store.js";
import { type PointInTimeResult, type PointInTimeRow, pointInTime } from "./point-in-time.js";
import { queryRows, quoteIdentifier, quoteLiteral, type Row } from "./sql.js";
import { requireSameTenancy } from "./tenancy.js";

/**
 * `buildTrainingDataset` progress: label rows done, in total, and skipped (with the reason in the manifest).
 */
export interface DatasetProgress {
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
}

/**
 * Options of `buildTrainingDataset`: the offline store and the serving context store, the label
 * events, the output directory, the budget, which label fields are the user and assistant turns, and
 * how the system message, realtime values and late writes are handled.
 */
export interface BuildDatasetOptions {
  offline: DuckdbOfflineStore;
  /** The context store serving uses: its definitions, packer, encoding and sections render every example. */
  contextStore?: ContextStore;
  /** @deprecated The former name of `contextStore`; still accepted. */
  context?: ContextStore;
  /**
   * What the examples are for: a purpose of the context store (default `training`). Its redaction
   * policy applies to every prompt and to the tagged values in the values file, exactly as core
   * applies it when serving (training default: tagged fields pseudonymised with the keyed hash).
   */
  purpose?: string;
  /** Who builds the dataset: needed when a source declares readers; a purpose's `unredactedFor` reads it. */
  principal?: Principal;
  /**
   * A multi-tenant store: the tenant of every label (labels may carry their own instead, see
   * LabelEvent.tenant). Each example is assembled for its label's tenant from that tenant's history.
   */
  tenant?: string;
  labels: LabelInput;
  /** Output directory (must not exist, or be empty): messages.jsonl, values.parquet|jsonl, manifest.json. */
  outDir: string;
  budget: Budget;
  /** The user turn: a label column name, or a function of the label row. Also the assembly's `query`. */
  input: string | ((row: PointInTimeRow) => string);
  /** The assistant turn (the label): a column name or a function. */
  label: string | ((row: PointInTimeRow) => string);
  /** Builds the system message from the packed context. Use the same function serving uses. Default: the context itself. */
  system?: (context: string, row: PointInTimeRow) => string;
  /** Restrict to these sources (names). Default: every non-vector source of the context store. */
  sources?: readonly string[];
  /**
   * Ignore history written after each label's timestamp. Default true for datasets: a backfill cannot
   * leak. With it, each label sees the history as the online store held it at its moment
   * (pointInTime's `asServed`: visibility from the write, expiry replayed), so its prompt is the one
   * serving showed.
   */
  excludeLateWrites?: boolean;
  /** The context store's `maxClockSkew` (how far ahead of the writer's clock event times may run). Default "1m". */
  maxClockSkew?: Duration;
  /**
   * Realtime values at t. `"history"` (default): values recorded offline (see withOfflineRecording)
   * within the source's maxAge (default 1 minute) of t, otherwise `missing`. `"missing"`: every
   * realtime source reads as missing. Or a function returning overrides for a label row.
   */
  realtime?: "history" | "missing" | ((row: PointInTimeRow) => Readonly<Record<string, RealtimeOverride>>);
  /** Format of the raw point-in-time values file. Default "parquet". */
  valuesFormat?: "parquet" | "jsonl";
  /** A label whose context cannot be assembled (required source unavailable, budget too small): skip it (default) or fail the build. */
  onRenderError?: "skip" | "fail";
  /** Called as label rows are rendered, with the running counts. */
  onProgress?: (progress: DatasetProgress) => void;
}

/**
 * `manifest.json` of a dataset: its format, when and with which definitions (and their fingerprint),
 * encoding and budget it was built, how late writes and realtime values were handled, status counts
 * per source, and the label rows skipped with why.
 */
export interface DatasetManifest {
  readonly format: "ctxstore.dataset/v1";
  readonly createdAt: string;
  /** The purpose the examples were rendered for; its redaction policy shaped the prompts and values. */
  readonly purpose: string;
  /** The query's tenant on a multi-tenant store (null: single-tenant, or a tenant per label). */
  readonly tenant: string | null;
  /** Sources carrying PII tags: their values in the values file are the redacted ones the prompts used. */
  readonly redactedSources: readonly string[];
  readonly encoding: string;
  readonly budget: Budget;
  readonly excludeLateWrites: boolean;
  readonly realtime: "history" | "missing" | "custom";
  /** The definitions the dataset was rendered with; `fingerprint` changes when any of them does. */
  readonly sources: ReadonlyArray<{
    name: string;
    version: number;
    tier: string;
    field: string;
    maxAgeMs: number | null;
    section: string;
    priority: number;
    required: boolean;
    onUnavailable: string;
  }>;
  readonly fingerprint: string;
  readonly labels: number;
  readonly examples: number;
  readonly skippedCount: number;
  /** First 1,000 skipped label rows (1-based) with the reason. Line i of messages.jsonl is the i-th label row not skipped. */
  readonly skipped: ReadonlyArray<{ row: number; reason: string }>;
  readonly statusCounts: PointInTimeResult["statusCounts"];
  /**
   * With late writes excluded: how many label values were hidden because the history behind them was
   * written after the label's time, per source and in all, with what to do when that is a backfill.
   */
  readonly lateWrites: {
    readonly hidden: number;
    readonly bySource: PointInTimeResult["hiddenByLateWrites"];
    readonly advice?: string;
  };
  readonly files: { readonly messages: string; readonly values: string };
}

/** What `buildTrainingDataset` returns: where the dataset was written, and its manifest. */
export interface DatasetReport {
  readonly outDir: string;
  readonly manifest: DatasetManifest;
}

/**
 * One training example as `renderExamples` yields it: the label row, the assembly (rendered by the
 * serving packer at the label's time) and the chat messages.
 */
export interface RenderedExample {
  readonly row: PointInTimeRow;
  readonly result: AssembleResult;
  readonly messages: readonly [
    { role: "system"; content: string },
    { role: "user"; content: string },
    { role: "assistant"; content: string },
  ];
}

const CACHE_LIMIT = 50_000;

/** Builds a fine-tuning dataset (chat-messages JSON Lines) plus the raw point-in-time values and a manifest. */
export async function buildTrainingDataset(options: BuildDatasetOptions): Promise<DatasetReport> {
  const { offline } = options;
  const context = contextStoreOption(options, "buildTrainingDataset");
  if (!offline || !context)
    throw new CtxError("CTX_CONFIG", "buildTrainingDataset needs { offline, contextStore }.", {});
  requireSameTenancy(offline, context, "buildTrainingDataset");
  if (typeof options.outDir !== "string" || options.outDir === "")
    throw new CtxError("CTX_CONFIG", "buildTrainingDataset needs { outDir }: a directory to write.", {});
  await ensureWritableTarget(options.outDir);
  const sources = datasetSources(context, options.sources);
  const excludeLateWrites = options.excludeLateWrites !== false;
  await context.ready();
  const purpose = options.purpose ?? "training";
  // Tagged sources: the values file takes their values from the assemblies (redacted for the purpose).
  const redactedSources = sources.filter((source) => source.pii !== undefined).map((source) => source.name);
  const result = await pointInTime(offline, {
    labels: options.labels,
    sources,
    excludeLateWrites,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    // Labels may carry keys of every entity the context store serves, used by this dataset or not.
    knownSources: [...context.sources.values()],
    ...(excludeLateWrites
      ? {
          asServed: {
            definitions: [...context.sources.values()],
            ...(options.maxClockSkew === undefined ? {} : { maxClockSkew: options.maxClockSkew }),
          },
        }
      : {}),
  });
  const partial = `${options.outDir}.partial-${process.pid}-${Date.now()}`;
  try {
    await mkdir(partial, { recursive: true });
    const valuesFile = options.valuesFormat === "jsonl" ? "values.jsonl" : "values.parquet";
    const skipped: Array<{ row: number; reason: string }> = [];
    let skippedCount = 0;
    let examples = 0;
    const out = createWriteStream(join(partial, "messages.jsonl"), { encoding: "utf8" });
    const finished = new Promise<void>((resolve, reject) => {
      out.on("finish", resolve);
      out.on("error", reject);
    });
    const redacted: RedactedValue[] = [];
    try {
      for await (const example of renderExamples({ ...options, contextStore: context }, result, sources)) {
        if ("reason" in example) {
          if (options.onRenderError === "fail") {
            throw new CtxError(
              "CTX_REQUIRED_UNAVAILABLE",
              `Label row ${example.row}: ${example.reason}. No dataset was written.`,
              { row: example.row },
            );
          }
          skippedCount += 1;
          if (skipped.length < 1_000) skipped.push(example);
        } else {
          examples += 1;
          for (const name of redactedSources) {
            const value = example.result.values[name]?.value;
            redacted.push({ row: example.row.row, source: name, value: value === undefined ? null : value });
          }
          if (!out.write(`${JSON.stringify({ messages: example.messages })}\n`))
            await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        }
        options.onProgress?.({
          done: examples + skippedCount,
          total: result.labels.count,
          skipped: skippedCount,
        });
      }
    } finally {
      out.end();
      await finished;
    }
    const replaced =
      redactedSources.length === 0
        ? undefined
        : { table: await stageRedacted(offline, result, redacted), sources: redactedSources };
    try {
      const valuesOptions = replaced === undefined ? {} : { replaceValues: replaced };
      if (options.valuesFormat === "jsonl") await result.writeJsonl(join(partial, valuesFile), valuesOptions);
      else await result.writeParquet(join(partial, valuesFile), valuesOptions);
    } finally {
      if (replaced)
        await offline.exclusive((connection) => connection.run(`DROP TABLE IF EXISTS ${replaced.table}`));
    }
    const manifest: DatasetManifest = {
      format: "ctxstore.dataset/v1",
      createdAt: new Date().toISOString(),
      purpose,
      tenant: options.tenant ?? null,
      redactedSources,
      encoding: context.encoding,
      budget: { maxTokens: options.budget.maxTokens },
      excludeLateWrites,
      realtime: typeof options.realtime === "function" ? "custom" : (options.realtime ?? "history"),
      ...describeDefinitions(sources),
      labels: result.labels.count,
      examples,
      skippedCount,
      skipped,
      statusCounts: result.statusCounts,
      lateWrites: lateWritesReport(result),
      files: { messages: "messages.jsonl", values: valuesFile },
    };
    await writeFile(join(partial, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(options.outDir, { recursive: true, force: true });
    await rename(partial, options.outDir);
    return { outDir: options.outDir, manifest };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    await result.drop();
  }
}

/** The manifest's account of values hidden by `excludeLateWrites`, with advice when there are any. */
function lateWritesReport(result: PointInTimeResult): DatasetManifest["lateWrites"] {
  const bySource = result.hiddenByLateWrites;
  const hidden = Object.values(bySource).reduce((sum, count) => sum + count, 0);
  if (hidden === 0) return { hidden, bySource };
  const sources = Object.entries(bySource)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name}: ${count}`)
    .join(", ");
  return {
    hidden,
    bySource,
    advice: `${hidden} label value${hidden === 1 ? " was" : "s were"} hidden because the history behind ${hidden === 1 ? "it was" : "them was"} written after the label's time (${sources}); they read as missing or older. If that history is a backfill, record it with its original write times (writeTime), or build with excludeLateWrites: false (the CLI's --include-late-writes) if leaking it into training is acceptable.`,
  };
}

/**
 * Renders each label event's example in label order without writing files (tests, custom formats).
 * Yields `{ row, reason }` for a label whose context cannot be assembled.
 */
export async function* renderExamples(
  options: Omit<
    BuildDatasetOptions,
    | "outDir"
    | "labels"
    | "valuesFormat"
    | "onRenderError"
    | "onProgress"
    | "excludeLateWrites"
    | "maxClockSkew"
  >,
  result: PointInTimeResult,
  sources?: readonly AnySource[],
): AsyncGenerator<RenderedExample | { row: number; reason: string }> {
  const { offline } = options;
  const context = contextStoreOption(options, "renderExamples");
  if (!offline || !context)
    throw new CtxError("CTX_CONFIG", "renderExamples needs { offline, contextStore }.", {});
  const rendered = sources ?? datasetSources(context, options.sources);
  const purpose = options.purpose ?? "training";
  const writes = new Map<number, ValueWrite | WindowAppend>();
  const sourceNames = rendered.map((source) => source.name);
  let page: PointInTimeRow[] = [];
  // As served, the point-in-time values are already what the online store held (expiry replayed);
  // otherwise expiry is approximated from each entity's last write (see lastWriteTable).
  const lastWrites = result.asServed ? undefined : await lastWriteTable(offline, result, context);
  const flush = async function* () {
    const history = await historyRows(offline, page, writes);
    const writtenAt =
      lastWrites === undefined
        ? new Map<number, Map<string, number>>()
        : await lastWritesOf(offline, lastWrites, page[0]?.row ?? 0, page[page.length - 1]?.row ?? -1);
    for (const row of page) yield await renderOne(row, history, writtenAt.get(row.row));
    page = [];
    if (writes.size > CACHE_LIMIT) writes.clear();
  };
  const renderOne = async (
    row: PointInTimeRow,
    history: Map<number, Row>,
    writtenAt: ReadonlyMap<string, number> | undefined,
  ): Promise<RenderedExample | { row: number; reason: string }> => {
    // The snapshot's clock stands at each entity's last write while its records are written, so the
    // online TTL (which serving's store applies from the last write) expires them exactly as it
    // would have by t; then it is set to t for the assembly.
    let clock = row.timestamp;
    const snapshot = memoryStore({ now: () => clock });
    const valueWrites: ValueWrite[] = [];
    const appends: WindowAppend[] = [];
    const realtime: Record<string, RealtimeOverride> = {};
    for (const source of rendered) {
      const found = row.values[source.name];
      if (!found) continue;
      if (source.tier === "realtime") {
        realtime[source.name] = realtimeOverride(found);
        continue;
      }
      for (const seq of found.seqs) {
        let write = writes.get(seq);
        if (!write) {
          const stored = history.get(seq);
          if (!stored) continue;
          write = toStoreWrite(context, source, stored, row.tenant);
          writes.set(seq, write);
        }
        if (source.tier === "stream") appends.push(write as WindowAppend);
        else valueWrites.push(write as ValueWrite);
      }
      // The watermark as serving's store held it (not the window's freshness: serving derives that
      // itself, and a watermark set to the newest event time would inflate it).
      if (source.tier === "stream" && found.watermark !== undefined && found.status !== "skipped") {
        await snapshot.setWatermark(sourceField(source), found.watermark);
      }
    }
    for (const entity of new Set([...valueWrites, ...appends].map((write) => write.entity))) {
      clock = writtenAt?.get(entity) ?? row.timestamp;
      const entityWrites = valueWrites.filter((write) => write.entity === entity);
      const entityAppends = appends.filter((append) => append.entity === entity);
      if (entityWrites.length > 0) await snapshot.write(entityWrites);
      if (entityAppends.length > 0) await snapshot.append(entityAppends);
    }
    clock = row.timestamp;
    const overrides =
      options.realtime === "missing"
        ? Object.fromEntries(
            rendered
              .filter((source) => source.tier === "realtime")
              .map((source) => [
                source.name,
                { status: "missing" as const, reason: "realtime values are not replayed in this dataset" },
              ]),
          )
        : typeof options.realtime === "function"
          ? { ...realtime, ...options.realtime(row) }
          : realtime;
    const input = textOf(options.input, row, "input");
    const label = textOf(options.label, row, "label");
    const keys: Record<string, unknown> = {};
    for (const [entity, keyJson] of Object.entries(row.keyJson))
      if (keyJson !== null) keys[entity] = JSON.parse(keyJson);
    try {
      const assembled = await context.assemble(
        // A generous deadline: the snapshot is in memory, so nothing can time out that serving would not have.
        {
          keys,
          query: input,
          budget: options.budget,
          sources: sourceNames,
          deadline: 60_000,
          purpose,
          ...(options.principal === undefined ? {} : { principal: options.principal }),
          ...(row.tenant === undefined ? {} : { tenant: row.tenant }),
        },
        { now: row.timestamp, online: snapshot, realtime: overrides },
      );
      const system = options.system ? options.system(assembled.text, row) : assembled.text;
      return {
        row,
        result: assembled,
        messages: [
          { role: "system", content: system },
          { role: "user", content: input },
          { role: "assistant", content: label },
        ],
      };
    } catch (error) {
      if (
        isCtxError(error) &&
        (error.code === "CTX_REQUIRED_UNAVAILABLE" || error.code === "CTX_BUDGET_TOO_SMALL")
      ) {
        return { row: row.row, reason: error.message };
      }
      throw error;
    }
  };
  for await (const row of result.rows({ pageSize: 2_000 })) {
    page.push(row);
    if (page.length >= 2_000) yield* flush();
  }
  try {
    if (page.length > 0) yield* flush();
  } finally {
    if (lastWrites !== undefined)
      await offline.exclusive((connection) => connection.run(`DROP TABLE IF EXISTS ${lastWrites}`));
  }
}

/**
 * For a point-in-time result that is not "as served" (pointInTime called without asServed): for
 * every label and entity, the last write to any of the entity's batch/stream sources at or before
 * t. Writing the snapshot at that moment makes it expire the records about as serving's store did
 * (an approximation: gaps longer than the TTL, refused writes and other versions' writes are not
 * replayed; pass asServed to pointInTime for the exact replay).
 */
async function lastWriteTable(
  offline: DuckdbOfflineStore,
  result: PointInTimeResult,
  context: ContextStore,
): Promise<string> {
  const table = `${result.table}_last_write`;
  const stored = [...context.sources.values()].filter(
    (source) => source.tier === "batch" || source.tier === "stream",
  );
  const fields =
    stored
      .map((source) => `(source = ${quoteLiteral(source.name)} AND schema_version = ${source.version})`)
      .join(" OR ") || "FALSE";
  const tenant = tenantJoin(result.labels);
  const perEntity = result.labels.entities.map(
    (entity) => `SELECT l.ctx_row, ${quoteLiteral(entity)} AS entity, h.write_time
      FROM (SELECT ctx_row, ctx_ts, ${quoteIdentifier(keyColumn(entity))} AS entity_key${tenant.select("ctx_tenant")} FROM ${result.labels.table}) l
      ASOF JOIN (SELECT entity_key, write_time${tenant.select("tenant")} FROM ${HISTORY_TABLE} WHERE entity = ${quoteLiteral(entity)} AND (${fields})) h
        ON l.entity_key = h.entity_key${tenant.match("l", "h")} AND l.ctx_ts >= h.write_time`,
  );
  await offline.exclusive((connection) =>
    connection.run(
      perEntity.length === 0
        ? `CREATE TEMP TABLE ${table} (ctx_row BIGINT, entity VARCHAR, write_time BIGINT)`
        : `CREATE TEMP TABLE ${table} AS SELECT * FROM (${perEntity.join(" UNION ALL ")}) ORDER BY ctx_row`,
    ),
  );
  return table;
}

async function lastWritesOf(
  offline: DuckdbOfflineStore,
  table: string,
  first: number,
  last: number,
): Promise<Map<number, Map<string, number>>> {
  const rows = await offline.exclusive((connection) =>
    queryRows(
      connection,
      `SELECT ctx_row, entity, write_time FROM ${table} WHERE ctx_row BETWEEN ${first} AND ${last}`,
    ),
  );
  const byRow = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const entities = byRow.get(Number(row.ctx_row)) ?? new Map<string, number>();
    entities.set(String(row.entity), Number(row.write_time));
    byRow.set(Number(row.ctx_row), entities);
  }
  return byRow;
}

function datasetSources(context: ContextStore, names: readonly string[] | undefined): AnySource[] {
  const all = [...context.sources.values()];
  if (names === undefined) return all.filter((source) => source.tier !== "vector");
  return names.map((name) => {
    const source = context.sources.get(name);
    if (!source)
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `Dataset sources: "${name}" is not a source of the context store (${[...context.sources.keys()].join(", ")}).`,
        { source: name },
      );
    if (source.tier === "vector") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `Dataset sources: "${name}" is a vector source. The offline store keeps no history of vector indexes, so its results at a past moment cannot be rebuilt; leave it out of training contexts.`,
        { source: name },
      );
    }
    return source;
  });
}

/** The history rows behind a page of point-in-time values, by seq (one query per page). */
async function historyRows(
  offline: DuckdbOfflineStore,
  page: readonly PointInTimeRow[],
  cached: ReadonlyMap<number, unknown>,
): Promise<Map<number, Row>> {
  const wanted = new Set<number>();
  for (const row of page) {
    for (const value of Object.values(row.values))
      for (const seq of value.seqs) if (!cached.has(seq)) wanted.add(seq);
  }
  if (wanted.size === 0) return new Map();
  const rows = await offline.exclusive((connection) =>
    queryRows(
      connection,
      `SELECT seq, key_json, event_time, write_time, value, is_empty, empty_reason, event_id FROM ${HISTORY_TABLE}
       WHERE seq IN (${[...wanted].join(", ")})`,
    ),
  );
  return new Map(rows.map((row) => [Number(row.seq), row]));
}

function toStoreWrite(
  context: ContextStore,
  source: AnySource,
  row: Row,
  tenant: string | undefined,
): ValueWrite | WindowAppend {
  const key = JSON.parse(String(row.key_json)) as unknown;
  const value = historyValue(
    {
      value: row.value === null ? null : String(row.value),
      isEmpty: row.is_empty === true,
      emptyReason: row.empty_reason === null ? null : String(row.empty_reason),
    },
    empty,
  );
  const times = {
    eventTime: Number(row.event_time),
    writeTime: Number(row.write_time),
    ...(tenant === undefined ? {} : { tenant }),
  };
  if (source.tier === "stream")
    return context.toWindowAppend(source, key, value, {
      ...times,
      ...(row.event_id === null ? {} : { eventId: String(row.event_id) }),
    });
  return context.toValueWrite(source, key, value, times);
}

function realtimeOverride(found: PointInTimeRow["values"][string]): RealtimeOverride {
  switch (found.status) {
    case "ok":
      return { value: found.value, ...(found.eventTime === undefined ? {} : { eventTime: found.eventTime }) };
    case "empty":
      return {
        empty: true,
        ...(found.emptyReason === undefined ? {} : { reason: found.emptyReason }),
        ...(found.eventTime === undefined ? {} : { eventTime: found.eventTime }),
      };
    case "stale":
      return {
        status: "stale",
        reason: `the last recorded value is ${Math.round((found.ageMs ?? 0) / 1000)}s older than this moment`,
      };
    case "skipped":
      return {
        status: "skipped",
        reason: found.reason ?? "the label names no key for this source's entity",
      };
    case "timeout":
    case "error":
    case "invalid":
      // A recorded lookup that failed at t: rendered as serving rendered it, with its fallback.
      return {
        status: found.status,
        ...(found.reason === undefined ? {} : { reason: found.reason }),
        ...(found.fallback === undefined ? {} : { fallback: found.fallback }),
      };
    default:
      return { status: "missing", reason: "no realtime value was recorded offline near this moment" };
  }
}

function textOf(spec: string | ((row: PointInTimeRow) => string), row: PointInTimeRow, what: string): string {
  const value = typeof spec === "function" ? spec(row) : row.columns[spec];
  if (typeof value !== "string") {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Label row ${row.row}: the ${what} ${typeof spec === "function" ? "function" : `column ${JSON.stringify(spec)}`} gave ${value === undefined ? "nothing" : typeof value}, not a string. Columns: ${Object.keys(row.columns).join(", ")}.`,
      { row: row.row },
    );
  }
  return value;
}

function describeDefinitions(
  sources: readonly AnySource[],
): Pick<DatasetManifest, "sources" | "fingerprint"> {
  const described = sources.map((source) => ({
    name: source.name,
    version: source.version,
    tier: source.tier,
    field: sourceField(source),
    maxAgeMs: source.maxAgeMs ?? null,
    section: source.section.title,
    priority: source.priority,
    required: source.required,
    onUnavailable: source.onUnavailable,
  }));
  return {
    sources: described,
    fingerprint: createHash("sha256").update(JSON.stringify(described)).digest("hex").slice(0, 16),
  };
}

async function ensureWritableTarget(outDir: string): Promise<void> {
  const existing = await stat(outDir).catch(() => undefined);
  if (!existing) return;
  if (!existing.isDirectory() || (await readdir(outDir)).length > 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `Dataset directory ${JSON.stringify(outDir)} already exists and is not empty; choose a new directory (datasets are never overwritten in place).`,
      { outDir },
    );
  }
}

/** One tagged source's value as an assembly redacted it (null: none, e.g. dropped for the purpose). */
interface RedactedValue {
  readonly row: number;
  readonly source: string;
  readonly value: unknown;
}

/**
 * Stages the redacted values of the tagged sources (label_row, source, value JSON) for the values
 * file: what the prompts showed, never the stored value. Labels without an example have none.
 */
async function stageRedacted(
  offline: DuckdbOfflineStore,
  result: PointInTimeResult,
  values: readonly RedactedValue[],
): Promise<string> {
  const table = `${result.table}_redacted`;
  await offline.exclusive(async (connection) => {
    await connection.run(`CREATE TEMP TABLE ${table} (label_row BIGINT, source VARCHAR, value JSON)`);
    const appender = await connection.createAppender(table, "main", "temp");
    try {
      for (const entry of values) {
        appender.appendBigInt(BigInt(entry.row));
        appender.appendVarchar(entry.source);
        if (entry.value === null) appender.appendNull();
        else appender.appendVarchar(JSON.stringify(entry.value));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  });
  return table;
}
