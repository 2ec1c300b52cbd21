// @ctxstore/duckdb: the offline store (DuckDB), point-in-time retrieval, training datasets rendered
// exactly like serving, and materialization offline -> online with the phantom-zero guard.

export {
  type BuildDatasetOptions,
  buildTrainingDataset,
  type DatasetManifest,
  type DatasetProgress,
  type DatasetReport,
  type RenderedExample,
  renderExamples,
} from "./dataset.js";
export type { PhantomZeroGuard, SourceGuard } from "./guard.js";
export type { LabelEvent, LabelInput, LabelRelation, RowProblem } from "./labels.js";
export { type LoadOptions, type LoadReport, loadFile } from "./load.js";
export {
  type MaterializeOptions,
  type MaterializeProgress,
  type MaterializeReport,
  materialize,
  materializeSince,
  type SourceRunReport,
  type SourceRunStatus,
} from "./materialize.js";
export { lastMaterializations, type MeterProviderLike, recordMaterialization } from "./metrics.js";
export {
  type DuckdbOfflineStore,
  type DuckdbOfflineStoreOptions,
  duckdbOfflineStore,
  HISTORY_TABLE,
  type HistoryRow,
  MATERIALIZATION_TABLE,
  type OfflineRecord,
  type StoredHistoryRow,
  WATERMARK_TABLE,
} from "./offline-store.js";
export { ONLINE_WRITES_TABLE, REALTIME_OUTCOMES_TABLE } from "./online-log.js";
export {
  type PointInTimeOptions,
  type PointInTimeResult,
  type PointInTimeRow,
  type PointInTimeValue,
  pointInTime,
  REALTIME_DEFAULT_MAX_AGE_MS,
  type ValuesFileOptions,
} from "./point-in-time.js";
export { type RecordingOptions, withOfflineRecording } from "./recording.js";
export { parseTimestamp } from "./time.js";
export { isPlaceholderText, isZeroLike } from "./zero-like.js";
