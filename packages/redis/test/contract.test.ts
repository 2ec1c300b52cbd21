// The OnlineStore contract suite from @ctxstore/core/testing, run against a private redis-server and
// against a real 3-master Redis Cluster.
import { testOnlineStore } from "@ctxstore/core/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { redisStore } from "../src/index.js";
import {
  type RedisClusterHandle,
  type RedisServer,
  redisServerAvailable,
  startRedisCluster,
  startRedisServer,
} from "../src/testing/index.js";

const available = redisServerAvailable();
let counter = 0;
const uniquePrefix = () => `contract${++counter}-${process.pid}:`;

describe.skipIf(!available)("redisStore on a standalone server", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  testOnlineStore({
    name: "redisStore (standalone)",
    create: () => redisStore({ url: server.url, prefix: uniquePrefix() }),
  });
  // The optional msgpack body codec must keep the same contract (lone surrogates fall back to JSON).
  testOnlineStore({
    name: "redisStore (standalone, msgpack bodies)",
    create: () => redisStore({ url: server.url, prefix: uniquePrefix(), codec: "msgpack" }),
    propertyRuns: 30,
  });
});

describe.skipIf(!available)("redisStore on a 3-master cluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  testOnlineStore({
    name: "redisStore (cluster)",
    create: () => redisStore({ cluster: { nodes: cluster.nodes }, prefix: uniquePrefix() }),
    propertyRuns: 50,
  });
});
