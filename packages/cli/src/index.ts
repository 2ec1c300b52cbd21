// @ctxstore/cli: the `ctxstore` command (bin) and, for applications, what a config file and a
// framework mount of the inspector page need.

export type {
  CtxstoreConfig,
  CtxstoreConfigExport,
  OfflineStoreLike,
  SampleRequest,
} from "./config/types.js";
export { defineConfig } from "./config/types.js";
export {
  type AgePercentiles,
  type FreshnessReader,
  type FreshnessSnapshot,
  freshnessReader,
  freshnessSnapshot,
  type LastMaterialization,
  SAMPLE_SIZE,
  type SourceFreshness,
} from "./freshness/snapshot.js";
export {
  type InspectedBlock,
  type InspectedSection,
  type InspectedSource,
  type InspectionResult,
  inspect,
} from "./inspection/inspect.js";
export {
  type InspectionRequest,
  requestFromParams,
  requestToParams,
} from "./inspection/request.js";
export {
  describeConfig,
  type InspectorConfigResponse,
  type InspectorOptions,
  inspectorHandler,
} from "./inspector/handler.js";
export {
  type Finding,
  type FindingLevel,
  type ValidationReport,
  validateConfig,
} from "./validate/findings.js";
