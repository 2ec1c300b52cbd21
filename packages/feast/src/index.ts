// @ctxstore/feast: serve the features a Python Feast deployment materialized into Redis as ctxstore
// batch sources (feastEntity, feastSource, feastType, withFeast), and generate those definitions from
// a Feast registry file (generateFeastDefinitions, readFeastRegistry). See docs/feast.md.
export {
  compareCodePoints,
  feastRedisKey,
  featureField,
  type JoinKeyType,
  type JoinKeyValue,
  murmur3Field,
  serializeEntityKey,
  timestampField,
  versionedViewName,
} from "./layout.js";
export { type FeastOnlineStore, type WithFeastOptions, withFeast } from "./online.js";
export {
  ctxstoreName,
  type FeastRegistryFeature,
  type FeastRegistryInfo,
  type FeastRegistryView,
  feastTypeExpression,
  type GenerateFeastOptions,
  generateFeastDefinitions,
  readFeastRegistry,
  verifyFeastSources,
} from "./registry.js";
export {
  type AnyFeastSource,
  type FeastBinding,
  type FeastEntity,
  type FeastJoinKey,
  type FeastSource,
  type FeastSourceOptions,
  feastEntity,
  feastSource,
  isFeastSource,
} from "./source.js";
export { type BytesAs, type FeastFeature, feastType, type Int64As, type NestedOptions } from "./values.js";
export { type FeastRow, type FeastTime, feastRow, feastTimestamp } from "./writer.js";
