// @ctxstore/redis as a restricted ACL user (#18 item 6): the user is created from the exact
// `ACL SETUSER` line docs/redis.md tells operators to grant (read from the page, so they cannot
// drift), and the store, the stream producer and the ingest worker run their whole path as it. The
// user can do nothing else: no key outside the prefix, no command outside the list.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createContextStore, isCtxError } from "@ctxstore/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer } from "../src/testing/index.js";
import { profile, sources } from "./fixtures/definitions.js";
import { securedRoundTrip } from "./fixtures/secured-roundtrip.js";

const available = redisServerAvailable();
const PASSWORD = "acl-test-password";

/** The documented line, e.g. `ACL SETUSER ctxstore on >CHANGE-ME resetkeys ~ctx:* ...`. */
function documentedAclLine(): string {
  const page = readFileSync(fileURLToPath(new URL("../../../docs/redis.md", import.meta.url)), "utf8");
  const lines = page.split("\n").filter((line) => line.startsWith("ACL SETUSER ctxstore "));
  if (lines.length !== 1)
    throw new Error(`docs/redis.md must hold exactly one "ACL SETUSER ctxstore" line; found ${lines.length}`);
  return lines[0] as string;
}

describe.skipIf(!available)("@ctxstore/redis as a restricted ACL user", () => {
  let server: RedisServer;
  let admin: Redis;
  let userUrl: string;
  beforeAll(async () => {
    server = await startRedisServer({ label: "acl" });
    admin = new Redis(server.url);
    // Connection errors surface on the commands that fail; without a listener ioredis logs them.
    admin.on("error", () => {});
    const [, , ...rules] = documentedAclLine().replace(">CHANGE-ME", `>${PASSWORD}`).split(/\s+/);
    expect(await admin.call("ACL", "SETUSER", ...rules)).toBe("OK");
    userUrl = `redis://ctxstore:${PASSWORD}@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("the documented grant is narrow: the ctx: prefix only, no channels, no command categories", () => {
    const line = documentedAclLine();
    expect(line).toMatch(/ resetkeys ~ctx:\* /);
    expect(line).toMatch(/ resetchannels -@all /);
    expect(line).not.toMatch(/allkeys|allchannels|allcommands|~\*|\+@|&/);
  });

  it("runs writes, appends, reads, sampling, the producer and the ingest worker as that user", async () => {
    const outcome = await securedRoundTrip({ url: userUrl, prefix: "ctx:" });
    expect(outcome.statuses).toMatchObject({ profile: "ok", recent_activity: "ok" });
    expect(outcome.text).toContain("Runs trails.");
    expect(outcome.text).toContain("published #1");
    expect(outcome.secondProfile).toBe("ok");
    expect(outcome.counters).toMatchObject({ invalid: 1 });
    expect(outcome.sampledRecords).toBeGreaterThan(0);
    expect(outcome.workerErrors).toEqual([]);
    // Nothing the user did was refused by the server.
    const denied = (await admin.call("ACL", "LOG")) as unknown[];
    expect(denied).toEqual([]);
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
