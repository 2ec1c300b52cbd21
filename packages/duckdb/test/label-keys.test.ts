// Label events name entities by their exact names and keys by their schema's fields (#16 item 12):
// an unknown or miscased entity is CTX_UNKNOWN_ENTITY, as in `assemble`, and a key field the
// schema does not have is refused instead of being dropped.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  batch,
  type CtxError,
  createContextStore,
  defineEntity,
  isCtxError,
  memoryStore,
} from "@ctxstore/core";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildTrainingDataset,
  type DuckdbOfflineStore,
  duckdbOfflineStore,
  pointInTime,
} from "../src/index.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ plan: z.string() }),
  section: "Profile",
});
const device = batch("device", { entity: session, schema: z.object({ os: z.string() }), section: "Device" });
const AT = Date.UTC(2025, 0, 2);

let directory: string;
let store: DuckdbOfflineStore | undefined;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-label-keys-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function failure(promise: Promise<unknown>): Promise<CtxError> {
  try {
    await promise;
  } catch (error) {
    return error as CtxError;
  }
  throw new Error("expected a failure");
}

async function openStore() {
  store = await duckdbOfflineStore({ path: ":memory:", sources: [profile, device] });
  await store.record([
    { source: profile, key: { userId: "u1" }, value: { plan: "pro" }, eventTime: AT - 1000 },
  ]);
  return store;
}

describe("label keys", () => {
  it("refuses an unknown or miscased entity name with CTX_UNKNOWN_ENTITY naming the rows", async () => {
    const offline = await openStore();
    const error = await failure(
      pointInTime(offline, {
        sources: [profile],
        labels: [
          { timestamp: AT, keys: { user: { userId: "u1" } } },
          { timestamp: AT, keys: { widget: { id: "w1" } } },
          { timestamp: AT, keys: { User: { userId: "u1" } } },
        ],
      }),
    );
    expect(isCtxError(error, "CTX_UNKNOWN_ENTITY")).toBe(true);
    expect(error.message).toMatch(/keys\.widget \(label row 2\)/);
    expect(error.message).toMatch(
      /keys\.User \(label row 3\): did you mean "user"\? Entity names are case-sensitive/,
    );
    expect(error.message).toMatch(/Known entities: user, session/);

    const csv = join(directory, "labels.csv");
    await writeFile(csv, "user_id,at\nu1,2025-01-02T00:00:00Z\n");
    const fromFile = await failure(
      pointInTime(offline, {
        sources: [profile],
        labels: { file: csv, timestamp: "at", keys: { User: { userId: "user_id" } } },
      }),
    );
    expect(isCtxError(fromFile, "CTX_UNKNOWN_ENTITY")).toBe(true);
    expect(fromFile.message).toMatch(/keys\.User: did you mean "user"\?/);
  });

  it("lets labels name a registered entity that the requested sources do not use (it is ignored)", async () => {
    const offline = await openStore();
    const result = await pointInTime(offline, {
      sources: [profile],
      labels: [{ timestamp: AT, keys: { user: { userId: "u1" }, session: { sessionId: "s1" } } }],
    });
    expect((await result.toArray()).map((row) => row.values.profile?.status)).toEqual(["ok"]);
    await result.drop();
  });

  it("a dataset of some sources accepts labels keyed for the context store's other entities", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    await store.record([
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "pro" },
        eventTime: AT - 1000,
        writeTime: AT - 1000,
      },
    ]);
    const context = createContextStore({ sources: [profile, device], online: memoryStore() });
    for (const excludeLateWrites of [true, false]) {
      const report = await buildTrainingDataset({
        offline: store,
        context,
        sources: ["profile"],
        excludeLateWrites,
        labels: [
          { timestamp: AT, keys: { user: { userId: "u1" }, session: { sessionId: "s1" } }, q: "?", a: "!" },
        ],
        budget: { maxTokens: 100 },
        input: "q",
        label: "a",
        outDir: join(directory, `dataset-${excludeLateWrites}`),
      });
      expect(report.manifest.statusCounts.profile).toEqual({ ok: 1 });
    }
    const unknown = await failure(
      buildTrainingDataset({
        offline: store,
        context,
        labels: [{ timestamp: AT, keys: { widget: { id: "w" } }, q: "?", a: "!" }],
        budget: { maxTokens: 100 },
        input: "q",
        label: "a",
        outDir: join(directory, "dataset-unknown"),
      }),
    );
    expect(isCtxError(unknown, "CTX_UNKNOWN_ENTITY")).toBe(true);
  });

  it("refuses key fields the entity's key schema does not have, instead of dropping them", async () => {
    const offline = await openStore();
    const error = await failure(
      pointInTime(offline, {
        sources: [profile],
        labels: [
          { timestamp: AT, keys: { user: { userId: "u1" } } },
          { timestamp: AT, keys: { user: { userId: "u1", tenant: "t9" } } },
        ],
      }),
    );
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect(error.message).toMatch(
      /row 2: keys\.user has "tenant", which the "user" key schema does not have \(its fields: userId\)/,
    );

    const csv = join(directory, "labels-extra.csv");
    await writeFile(csv, "user_id,tenant,at\nu1,t9,2025-01-02T00:00:00Z\n");
    const fromFile = await failure(
      pointInTime(offline, {
        sources: [profile],
        labels: { file: csv, timestamp: "at", keys: { user: { userId: "user_id", tenant: "tenant" } } },
      }),
    );
    expect(isCtxError(fromFile, "CTX_INVALID_KEY")).toBe(true);
    expect(fromFile.message).toMatch(
      /labels\.keys\.user maps "tenant", which the "user" key schema does not have/,
    );
  });

  it("any entity name other than the known ones is refused, whatever its case (property)", async () => {
    const offline = await openStore();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name !== "user" && name !== "session"),
        async (name) => {
          const error = await failure(
            pointInTime(offline, {
              sources: [profile],
              labels: [{ timestamp: AT, keys: { [name]: { userId: "u1" } } }],
            }),
          );
          expect(isCtxError(error, "CTX_UNKNOWN_ENTITY")).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});
