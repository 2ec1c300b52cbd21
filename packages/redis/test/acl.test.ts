// @ctxstore/redis as a restricted ACL user (#18 item 6): the users are created from the exact
// `ACL SETUSER` lines docs/redis.md tells operators to grant (read from the page, so they cannot
// drift): on a single server, on every node of a Cluster, and on the data nodes and the sentinels
// of a Sentinel group. The store, the stream producer and the ingest worker run their whole path as
// that user, and no node logs a refused command. The user can do nothing else: no key outside the
// prefix, no command outside the list.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createContextStore, isCtxError } from "@ctxstore/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import {
  type RedisClusterHandle,
  type RedisServer,
  redisServerAvailable,
  type SentinelGroupHandle,
  sendCommand,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
} from "../src/testing/index.js";
import { profile, sources } from "./fixtures/definitions.js";
import { securedRoundTrip } from "./fixtures/secured-roundtrip.js";

const available = redisServerAvailable();
const PASSWORD = "acl-test-password";

/** The labels docs/redis.md puts (in bold) before each line, in this order. */
const LABELS = {
  server: "A single server",
  cluster: "Every Cluster node",
  sentinelData: "The data nodes of a Sentinel group",
  sentinels: "Each sentinel",
} as const;

function docLines(): string[] {
  return readFileSync(fileURLToPath(new URL("../../../docs/redis.md", import.meta.url)), "utf8").split("\n");
}

/** The documented line under `**<label>**`, e.g. `ACL SETUSER ctxstore on >CHANGE-ME resetkeys ~ctx:* ...`. */
function documentedAclLine(label: string): string {
  const lines = docLines();
  const at = lines.findIndex((line) => line.startsWith(`**${label}`));
  if (at < 0) throw new Error(`docs/redis.md has no "**${label}**" paragraph before its ACL line`);
  const line = lines.slice(at).find((each) => each.startsWith("ACL SETUSER ctxstore "));
  if (line === undefined) throw new Error(`docs/redis.md has no ACL SETUSER line after "**${label}**"`);
  return line;
}

/** Creates the documented user on the node at `port` (a data node or a sentinel). */
async function grant(port: number, label: string): Promise<void> {
  const [, , ...rules] = documentedAclLine(label).replace(">CHANGE-ME", `>${PASSWORD}`).split(/\s+/);
  expect(await sendCommand(port, ["ACL", "SETUSER", ...rules]), `${label} on ${port}`).toBe("OK");
}

/** What the node at `port` refused since the last reset (ACL LOG), as "command by user" strings. */
async function refused(port: number): Promise<string[]> {
  const log = await sendCommand(port, ["ACL", "LOG"]);
  if (!Array.isArray(log)) throw new Error(`ACL LOG on ${port}: ${String(log)}`);
  return log.map((entry) => {
    const fields = entry as string[];
    const field = (name: string) => String(fields[fields.indexOf(name) + 1]);
    return `${field("object")} (${field("reason")}) by ${field("username")} on ${port}`;
  });
}

function expectRoundTrip(outcome: Awaited<ReturnType<typeof securedRoundTrip>>): void {
  expect(outcome.statuses).toMatchObject({ profile: "ok", recent_activity: "ok" });
  expect(outcome.text).toContain("Runs trails.");
  expect(outcome.text).toContain("published #1");
  expect(outcome.secondProfile).toBe("ok");
  expect(outcome.counters).toMatchObject({ invalid: 1 });
  expect(outcome.sampledRecords).toBeGreaterThan(0);
  expect(outcome.workerErrors).toEqual([]);
}

describe("the documented ACL lines", () => {
  it("are narrow: the ctx: prefix only on data nodes, no keys on sentinels, no categories, only the channels the failover watch needs", () => {
    expect(docLines().filter((line) => line.startsWith("ACL SETUSER ctxstore "))).toHaveLength(4);
    for (const label of [LABELS.server, LABELS.cluster, LABELS.sentinelData]) {
      const line = documentedAclLine(label);
      expect(line).toMatch(/ resetkeys ~ctx:\* /);
      expect(line).toMatch(/ resetchannels -@all /);
      expect(line).not.toMatch(/allkeys|allchannels|allcommands|~\*|\+@|&/);
    }
    const sentinel = documentedAclLine(LABELS.sentinels);
    expect(sentinel).toMatch(/ resetkeys resetchannels /);
    expect(sentinel).not.toMatch(/allkeys|allchannels|allcommands|~|\+@|&\*/);
  });
});

describe.skipIf(!available)("@ctxstore/redis as a restricted ACL user on a server", () => {
  let server: RedisServer;
  let admin: Redis;
  let userUrl: string;
  beforeAll(async () => {
    server = await startRedisServer({ label: "acl" });
    admin = new Redis(server.url);
    // Connection errors surface on the commands that fail; without a listener ioredis logs them.
    admin.on("error", () => {});
    await grant(server.port, LABELS.server);
    userUrl = `redis://ctxstore:${PASSWORD}@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("runs writes, appends, reads, sampling, the producer and the ingest worker as that user", async () => {
    expectRoundTrip(await securedRoundTrip({ connection: { url: userUrl }, prefix: "ctx:" }));
    // Nothing the user did was refused by the server.
    expect(await refused(server.port)).toEqual([]);
  });

  it("cannot touch keys outside the prefix nor run other commands; the store says NOPERM, typed", async () => {
    const outside = redisStore({ url: userUrl, prefix: "other:" });
    const context = createContextStore({ sources, online: outside });
    const raw = new Redis(userUrl);
    raw.on("error", () => {});
    try {
      const failure = await context.write(profile, { userId: "u1" }, { summary: "x", revision: 1 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isCtxError(failure, "CTX_STORE_UNAVAILABLE"), String(failure)).toBe(true);
      expect(String((failure as Error).message)).toMatch(/NOPERM/);
      const assembled = await context.assemble({
        keys: { user: { userId: "u1" } },
        budget: { maxTokens: 100 },
      });
      expect(assembled.trace.sources.find((source) => source.source === "profile")?.status).toBe("error");
      for (const command of [
        ["SET", "ctx:x", "1"],
        ["GET", "other:x"],
        ["FLUSHALL"],
        ["KEYS", "*"],
        ["CONFIG", "GET", "*"],
        ["SUBSCRIBE", "ctx:x"],
      ]) {
        const [name, ...rest] = command as [string, ...string[]];
        await expect(raw.call(name, ...rest), command.join(" ")).rejects.toThrow(/NOPERM/);
      }
      expect(await admin.exists("other:{user:userId=u1}")).toBe(0);
    } finally {
      raw.disconnect();
      await context.close();
    }
  });
});

describe.skipIf(!available)("@ctxstore/redis as a restricted ACL user on a Cluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    // ACL rules are per node (not replicated, not spread by the cluster bus): every node gets the line.
    for (const server of cluster.servers) await grant(server.port, LABELS.cluster);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs the store, the producer and the ingest worker across every node as that user; no node refuses anything", async () => {
    const connection = {
      cluster: {
        nodes: cluster.nodes,
        options: { redisOptions: { username: "ctxstore", password: PASSWORD } },
      },
    };
    expectRoundTrip(await securedRoundTrip({ connection, prefix: "ctx:" }));
    for (const server of cluster.servers) expect(await refused(server.port)).toEqual([]);
    // Outside the prefix: a typed NOPERM from whichever node owns the key.
    const outside = redisStore({ ...connection, prefix: "other:" });
    try {
      const failure = await outside
        .write([
          {
            entity: "user",
            key: "userId=u1",
            field: "profile@1",
            envelope: { value: "x", eventTime: 1, writeTime: 1, schemaVersion: 1 },
          },
        ])
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isCtxError(failure, "CTX_STORE_UNAVAILABLE"), String(failure)).toBe(true);
      expect(String((failure as Error).message)).toMatch(/NOPERM/);
    } finally {
      await outside.close();
    }
  }, 60_000);
});

describe.skipIf(!available)("@ctxstore/redis as a restricted ACL user behind Sentinel", () => {
  let group: SentinelGroupHandle;
  beforeAll(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3 });
    for (const server of group.dataServers) await grant(server.port, LABELS.sentinelData);
    for (const server of group.sentinelServers) await grant(server.port, LABELS.sentinels);
  });
  afterAll(async () => {
    await group?.stop();
  });

  it("runs the store, the producer and the ingest worker through the sentinels as that user; no data node or sentinel refuses anything", async () => {
    const connection = {
      sentinel: {
        sentinels: group.sentinels,
        name: group.masterName,
        options: {
          username: "ctxstore",
          password: PASSWORD,
          sentinelUsername: "ctxstore",
          sentinelPassword: PASSWORD,
        },
      },
      // The ROLE backstop probes within the round trip (default: once a second).
      failover: { roleCheckMs: 20 },
    };
    expectRoundTrip(await securedRoundTrip({ connection, prefix: "ctx:" }));
    for (const server of [...group.dataServers, ...group.sentinelServers])
      expect(await refused(server.port)).toEqual([]);
  }, 60_000);
});
