import { describe, expect, it } from "vitest";
import { identitySubject, readCookie, resolveIdentity } from "./identity.js";

const withCookie = (cookie: string) => new Request("http://shop.test/", { headers: { cookie } });

describe("readCookie", () => {
  it("finds a cookie among several, trimmed and decoded", () => {
    const request = withCookie("theme=dark;  uid=ana%20lima ; sid=s-1");
    expect(readCookie(request, "uid")).toBe("ana lima");
    expect(readCookie(request, "sid")).toBe("s-1");
    expect(readCookie(request, "theme")).toBe("dark");
  });

  it("does not match a cookie whose name only contains the one asked for", () => {
    expect(readCookie(withCookie("xuid=1; uidx=2"), "uid")).toBeUndefined();
  });

  it("unquotes quoted values and keeps undecodable ones as sent", () => {
    expect(readCookie(withCookie('uid="ana"'), "uid")).toBe("ana");
    expect(readCookie(withCookie("uid=%E0%A4%A"), "uid")).toBe("%E0%A4%A");
  });

  it("is undefined without a cookie header", () => {
    expect(readCookie(new Request("http://shop.test/"), "uid")).toBeUndefined();
  });
});

describe("resolveIdentity", () => {
  it("answers 401 with a JSON body when identify finds nobody", async () => {
    for (const nobody of [null, undefined]) {
      const result = await resolveIdentity(() => nobody, new Request("http://shop.test/"));
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.response.status).toBe(401);
      expect(await result.response.json()).toMatchObject({ error: "unauthenticated" });
    }
  });

  it("passes a Response from identify through unchanged", async () => {
    const forbidden = new Response("no", { status: 403 });
    const result = await resolveIdentity(async () => forbidden, new Request("http://shop.test/"));
    expect(result.ok ? undefined : result.response).toBe(forbidden);
  });

  it("throws on an identity without keys: a bug in the application, not a bad request", async () => {
    await expect(resolveIdentity(() => ({ keys: {} }), new Request("http://shop.test/"))).rejects.toThrow(
      /at least one entity key/,
    );
  });

  it("names one entity key of an identity canonically", () => {
    const identity = { keys: { session: { sessionId: "s 1" }, user: { userId: "ana" } } };
    expect(identitySubject(identity, "session")).toBe("session:sessionId=s%201");
    expect(identitySubject(identity, "product")).toBeUndefined();
  });
});
