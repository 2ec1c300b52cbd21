// @ctxstore/redis over TLS against a real redis-server (#18 item 6): certificates are generated here
// with openssl, the server listens with --tls-port, and the store, the stream producer and the ingest
// worker run their whole path over `rediss://`. A client that does not trust the server's CA gets a
// typed CTX_STORE_UNAVAILABLE naming the certificate problem, quickly, never a hang. A redis-server
// built without TLS skips this suite loudly, and fails it under CI=true.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createContextStore, isCtxError } from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStreamIngestor, createStreamProducer, redisStore } from "../src/index.js";
import { freePort, type RedisServer, redisServerAvailable, startRedisServer } from "../src/testing/index.js";
import { profile, sources } from "./fixtures/definitions.js";
import { securedRoundTrip } from "./fixtures/secured-roundtrip.js";

interface Certificates {
  readonly dir: string;
  readonly ca: Buffer;
  readonly wrongCa: Buffer;
}

/** A CA, a server certificate it signs for 127.0.0.1, and an unrelated CA (all valid for a day). */
function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "ctxstore-tls-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  for (const name of ["ca", "wrong-ca"]) {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=ctxstore ${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  }
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "server.ext",
    "-out",
    "server.crt",
  );
  return { dir, ca: readFileSync(join(dir, "ca.crt")), wrongCa: readFileSync(join(dir, "wrong-ca.crt")) };
}

function tlsArgs(certificates: Certificates, tlsPort: number): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    join(certificates.dir, "server.crt"),
    "--tls-key-file",
    join(certificates.dir, "server.key"),
    "--tls-ca-cert-file",
    join(certificates.dir, "ca.crt"),
    "--tls-auth-clients",
    "no",
  ];
}

/**
 * Whether this redis-server was built with TLS: one with TLS gets ready with a TLS port (and is
 * stopped by the timeout), one without exits at once on the unknown directive. Missing openssl counts too.
 */
function tlsAvailable(): boolean {
  if (!redisServerAvailable()) return false;
  let reason: string | undefined;
  const openssl = spawnSync("openssl", ["version"], { stdio: "ignore" });
  if (openssl.status !== 0) reason = "openssl is not installed";
  else {
    const certificates = makeCertificates();
    try {
      // A random TLS port (0 would mean "no TLS listener"); another try when it happens to be taken.
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = 20_000 + Math.floor(Math.random() * 30_000);
        const probe = spawnSync(
          "redis-server",
          ["--port", "0", "--save", "", "--appendonly", "no", ...tlsArgs(certificates, port)],
          { timeout: 1_500, encoding: "utf8" },
        );
        const output = `${probe.stdout}${probe.stderr}`;
        // Redis exits cleanly on the timeout's SIGTERM: tell "was running" from its own output.
        const ran =
          /Ready to accept connections/.test(output) ||
          (probe.error as { code?: string } | undefined)?.code === "ETIMEDOUT";
        reason = ran
          ? undefined
          : `redis-server does not start with --tls-port (built without TLS?): ${output.trim().slice(-300)}`;
        if (!/already in use/i.test(output)) break;
      }
    } finally {
      rmSync(certificates.dir, { recursive: true, force: true });
    }
  }
  if (reason === undefined) return true;
  if (process.env.CI === "true")
    throw new Error(`TLS tests cannot run: ${reason}. CI=true, so this is a failure, not a skip.`);
  console.warn(`\n  SKIPPING Redis TLS tests: ${reason}\n`);
  return false;
}

const available = tlsAvailable();

describe.skipIf(!available)("@ctxstore/redis over TLS", () => {
  let certificates: Certificates;
  let server: RedisServer;
  let tlsUrl: string;
  beforeAll(async () => {
    certificates = makeCertificates();
    const tlsPort = await freePort();
    // The plain port stays for the helper's readiness PING only; every client below uses TLS.
    server = await startRedisServer({ label: "tls", args: tlsArgs(certificates, tlsPort) });
    tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
  });
  afterAll(async () => {
    await server?.stop();
    if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
  });

  it("serves writes, appends, reads, sampling, the producer and the ingest worker over rediss://", async () => {
    const outcome = await securedRoundTrip({
      connection: { url: tlsUrl, redisOptions: { tls: { ca: certificates.ca } } },
      prefix: "ctx:",
    });
    expect(outcome.statuses).toMatchObject({ profile: "ok", recent_activity: "ok" });
    expect(outcome.text).toContain("Runs trails.");
    expect(outcome.text).toContain("published #1");
    expect(outcome.secondProfile).toBe("ok");
    expect(outcome.counters).toMatchObject({ invalid: 1 });
    expect(outcome.sampledRecords).toBeGreaterThan(0);
    expect(outcome.workerErrors).toEqual([]);
  });

  it("a client that does not trust the server's CA gets CTX_STORE_UNAVAILABLE naming the certificate, not a hang", async () => {
    const options = { url: tlsUrl, redisOptions: { tls: { ca: certificates.wrongCa } } };
    const online = redisStore({ ...options, prefix: "wrong-ca:" });
    const context = createContextStore({ sources, online });
    const producer = createStreamProducer({ ...options, stream: "wrong-ca:events" });
    const workerErrors: unknown[] = [];
    const worker = createStreamIngestor({
      ...options,
      context,
      stream: "wrong-ca:events",
      onError: (error) => workerErrors.push(error),
    });
    try {
      await context.ready();
      const failures: unknown[] = [];
      const started = Date.now();
      for (const attempt of [
        () => context.write(profile, { userId: "u1" }, { summary: "x", revision: 1 }),
        () =>
          context.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 100 }, deadline: "5s" }),
        () =>
          producer.publish({
            source: profile,
            key: { userId: "u1" },
            value: { summary: "x", revision: 1 },
            eventTime: Date.now(),
          }),
        () => worker.start(),
      ]) {
        failures.push(
          await attempt().then(
            (value) => ({ resolved: value }),
            (error: unknown) => error,
          ),
        );
      }
      expect(Date.now() - started).toBeLessThan(8_000);
      const [write, assembled, publish, start] = failures;
      // assemble never throws for an unavailable store: its values are unknown (error), never empty.
      const trace = (
        assembled as {
          resolved: { trace: { sources: Array<{ source: string; status: string; reason?: string }> } };
        }
      ).resolved.trace;
      expect(trace.sources.find((source) => source.source === "profile")).toMatchObject({
        status: "error",
        reason: expect.stringMatching(/certificate/),
      });
      for (const failure of [write, publish, start]) {
        expect(isCtxError(failure, "CTX_STORE_UNAVAILABLE"), String(failure)).toBe(true);
        expect(String((failure as Error).message)).toMatch(
          /last connection error: self[- ]signed certificate in certificate chain: the server's TLS certificate is not trusted; pass the CA that signed it as redisOptions\.tls\.ca/,
        );
      }
    } finally {
      await worker.stop().catch(() => undefined);
      await producer.close();
      await context.close();
    }
  }, 30_000);

  it("clients that do not trust the CA, closed mid-handshake, never leave an unhandled socket error", async () => {
    // Closing mid-handshake makes the server answer with an alert ("tlsv1 alert decode error") that
    // reaches the socket after its certificate error: a second 'error' event, which ioredis no longer
    // listens for. Unhandled, it would be an uncaught exception in the user's process.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      const closes: Promise<void>[] = [];
      for (let attempt = 0; attempt < 24; attempt++) {
        const online = redisStore({
          url: tlsUrl,
          redisOptions: { tls: { ca: certificates.wrongCa } },
          prefix: "mid-handshake:",
        });
        const producer = createStreamProducer({
          url: tlsUrl,
          redisOptions: { tls: { ca: certificates.wrongCa } },
          stream: "mid-handshake:events",
        });
        // Staggered, so that some closes land while the handshake is in flight.
        closes.push(
          new Promise((resolve) => setTimeout(resolve, attempt % 8)).then(async () => {
            await online.close();
            await producer.close();
          }),
        );
      }
      await Promise.all(closes);
      // Long enough for the server's alerts to arrive on the closed sockets.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(uncaught.map(String)).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  }, 30_000);

  it("refuses a plain redis:// client on the TLS port quickly with a typed error", async () => {
    const online = redisStore({
      url: tlsUrl.replace("rediss://", "redis://"),
      prefix: "plain:",
      connectTimeoutMs: 500,
    });
    const context = createContextStore({ sources, online });
    try {
      const started = Date.now();
      const failure = await context.write(profile, { userId: "u1" }, { summary: "x", revision: 1 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(isCtxError(failure), String(failure)).toBe(true);
      expect(["CTX_STORE_UNAVAILABLE", "CTX_TIMEOUT"]).toContain((failure as { code: string }).code);
    } finally {
      await context.close();
    }
  }, 30_000);
});
