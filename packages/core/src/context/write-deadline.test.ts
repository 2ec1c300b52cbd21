// A per-call deadline or signal on ctx.write / ctx.append / appendEvents / heartbeat (#22): the call
// rejects CTX_TIMEOUT when it passes, even on a store that never answers, and says the write may or
// may not have been applied; an already aborted signal sends nothing; a bad deadline writes nothing.
// The memory store honours the signal through the store wrapper. Timing under real stalls is
// packages/redis/test/deadline.test.ts; here fake timers decide when the deadline passes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createContextStore, isCtxError, memoryStore, type OnlineStore } from "../index.js";
import { activity, clock, NOW, profile, session, user } from "./assemble.fixtures.js";

/** A store whose writes, appends and watermarks never answer (a paused server), recording signals. */
function hangingStore(inner: OnlineStore, signals: Array<AbortSignal | undefined>): OnlineStore {
  const hang = (options?: { signal?: AbortSignal | undefined }) => {
    signals.push(options?.signal);
    return new Promise<never>(() => {});
  };
  return {
    ...inner,
    read: (batch, options) => inner.read(batch, options),
    write: (_writes, options) => hang(options),
    append: (_appends, options) => hang(options),
    setWatermark: (_field, _time, options) => hang(options),
    delete: (addresses) => inner.delete(addresses),
    close: () => inner.close(),
  };
}

const key = { userId: "u1" };
const value = { summary: "Runs trails." };

/** What the store holds for u1's profile: "missing" or "value". */
async function stored(online: OnlineStore, ctx: ReturnType<typeof createContextStore>): Promise<string> {
  const { entity, key: recordKey, field } = ctx.toValueWrite(profile, key, value, { eventTime: NOW });
  const read = await online.read({ records: [{ entity, key: recordKey, field, kind: "value" }] });
  const record = read.records[0];
  return record?.kind === "value" && record.envelope !== undefined ? "value" : "missing";
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("a per-call deadline on writes", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rejects CTX_TIMEOUT at the deadline on a store that never answers, naming the call and the doubt", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const ctx = createContextStore({
      sources: [profile, activity],
      entities: [user, session],
      online: hangingStore(memoryStore(), signals),
      now: clock,
    });
    await ctx.ready();
    vi.useFakeTimers();
    const pending = [
      rejection(ctx.write(profile, key, value, { deadline: "250ms", eventTime: NOW })),
      rejection(
        ctx.append(activity, { sessionId: "s1" }, { action: "view" }, { deadline: 250, eventTime: NOW }),
      ),
      rejection(ctx.heartbeat(activity, NOW, { deadline: "250ms" })),
    ];
    await vi.advanceTimersByTimeAsync(249);
    let settled = 0;
    for (const each of pending) void each.then(() => settled++);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    const [write, append, heartbeat] = await Promise.all(pending);
    for (const [failure, name] of [
      [write, "ctx.write(profile)"],
      [append, "ctx.append(activity)"],
      [heartbeat, "ctx.heartbeat(activity)"],
    ] as const) {
      expect(isCtxError(failure, "CTX_TIMEOUT"), String(failure)).toBe(true);
      expect((failure as Error).message).toContain(`${name} did not finish within its deadline of 250ms`);
      expect((failure as Error).message).toMatch(/may or may not have been applied/);
    }
    // The store was given the signal, and it is aborted now.
    expect(signals.length).toBeGreaterThanOrEqual(3);
    expect(signals.every((signal) => signal?.aborted)).toBe(true);
  });

  it("rejects when the caller's signal aborts (a request that went away)", async () => {
    const ctx = createContextStore({
      sources: [profile, activity],
      entities: [user, session],
      online: hangingStore(memoryStore(), []),
      now: clock,
    });
    await ctx.ready();
    const controller = new AbortController();
    const pending = rejection(ctx.write(profile, key, value, { signal: controller.signal, eventTime: NOW }));
    const appended = rejection(
      ctx.appendEvents(
        [ctx.toWindowAppend(activity, { sessionId: "s1" }, { action: "view" }, { eventTime: NOW })],
        {
          signal: controller.signal,
        },
      ),
    );
    controller.abort(new Error("client disconnected"));
    for (const failure of await Promise.all([pending, appended])) {
      expect(isCtxError(failure, "CTX_TIMEOUT"), String(failure)).toBe(true);
      expect((failure as Error).message).toMatch(
        /was abandoned: the caller's signal aborted, so it may or may not have been applied/,
      );
    }
  });

  it("memory store: an already aborted signal sends nothing; a deadline that does not pass changes nothing", async () => {
    const online = memoryStore();
    const ctx = createContextStore({
      sources: [profile, activity],
      entities: [user, session],
      online,
      now: clock,
    });
    await ctx.ready();
    const failure = await rejection(
      ctx.write(profile, key, value, { signal: AbortSignal.abort(), eventTime: NOW }),
    );
    expect(isCtxError(failure, "CTX_TIMEOUT"), String(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/was not sent.*Nothing was applied/);
    // Straight to the store: the wrapper refuses an aborted signal before touching storage.
    const direct = await rejection(
      online.write([ctx.toValueWrite(profile, key, value, { eventTime: NOW })], {
        signal: AbortSignal.abort(),
      }),
    );
    expect(isCtxError(direct, "CTX_TIMEOUT"), String(direct)).toBe(true);
    expect(await stored(online, ctx)).toBe("missing");

    expect(await ctx.write(profile, key, value, { deadline: "5s", eventTime: NOW })).toMatchObject({
      applied: true,
    });
    const appended = await ctx.append(
      activity,
      { sessionId: "s1" },
      { action: "view" },
      {
        signal: new AbortController().signal,
        eventTime: NOW,
      },
    );
    expect(appended.applied).toBe(true);
  });

  it("a bad deadline is a typed error and writes nothing", async () => {
    const online = memoryStore();
    const ctx = createContextStore({ sources: [profile], entities: [user], online, now: clock });
    await ctx.ready();
    for (const deadline of ["soon", 0, -5, 1.5, "10.5ms"]) {
      const failure = await rejection(
        ctx.write(profile, key, value, { deadline: deadline as never, eventTime: NOW }),
      );
      expect(isCtxError(failure, "CTX_INVALID_DURATION"), `${String(deadline)}: ${String(failure)}`).toBe(
        true,
      );
      expect((failure as Error).message).toContain("ctx.write(profile): deadline");
    }
    const failure = await rejection(
      ctx.write(profile, key, value, { signal: "abort" as never, eventTime: NOW }),
    );
    expect(isCtxError(failure, "CTX_INVALID_REQUEST"), String(failure)).toBe(true);
    expect(await stored(online, ctx)).toBe("missing");
  });
});
