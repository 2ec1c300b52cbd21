// Test support for Redis-backed suites and benchmarks: `import { startRedisServer } from "@ctxstore/redis/testing"`.
// Every helper spawns private processes on free ports and cleans them up, even when a test fails.
export {
  type RedisClusterHandle,
  type RedisClusterNode,
  type RedisClusterOptions,
  startRedisCluster,
} from "./cluster.js";
export {
  type NumberedLoad,
  type NumberedLoadOptions,
  type NumberedLoadReport,
  startNumberedLoad,
  type WritePathReport,
} from "./load.js";
export { type RoundTripProxy, startRoundTripProxy } from "./proxy.js";
export { commandStats, type RespReply, sendCommand } from "./resp.js";
export { type SentinelGroupHandle, type SentinelGroupOptions, startSentinelGroup } from "./sentinel.js";
export {
  freePort,
  type RedisServer,
  type RedisServerOptions,
  redisServerAvailable,
  startRedisServer,
  waitFor,
} from "./server.js";
