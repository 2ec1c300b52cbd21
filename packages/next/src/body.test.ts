import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkedRequest, jsonRequest } from "../test/fixtures.js";
import { readJsonBody } from "./body.js";

const URL_ = "http://shop.test/api/events";
const encoder = new TextEncoder();

async function bodyOf(response: Response) {
  return (await response.json()) as { error: string; message: string };
}

describe("readJsonBody", () => {
  it("parses a JSON body", async () => {
    const result = await readJsonBody(jsonRequest(URL_, { a: 1, b: ["x"] }), 1024);
    expect(result).toEqual({ ok: true, value: { a: 1, b: ["x"] } });
  });

  it.each(["application/json", "application/json; charset=utf-8", "application/vnd.api+json"])(
    "accepts content type %s",
    async (type) => {
      const result = await readJsonBody(jsonRequest(URL_, { ok: true }, { "content-type": type }), 1024);
      expect(result.ok).toBe(true);
    },
  );

  it.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
  ])("refuses content type %s with 415", async (type) => {
    const result = await readJsonBody(jsonRequest(URL_, { ok: true }, { "content-type": type }), 1024);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(415);
    expect((await bodyOf(result.response)).error).toBe("unsupported_media_type");
  });

  it("refuses a request without a content type with 415", async () => {
    const request = new Request(URL_, { method: "POST", body: new Blob(['{"a":1}']) });
    const result = await readJsonBody(request, 1024);
    expect(result.ok ? 200 : result.response.status).toBe(415);
  });

  it("refuses a declared oversized body with 413 without reading a byte of it", async () => {
    const { request, pulled } = chunkedRequest(
      URL_,
      [encoder.encode('{"a":"'), encoder.encode("x".repeat(5000)), encoder.encode('"}')],
      {
        "content-length": "5008",
      },
    );
    const result = await readJsonBody(request, 1024);
    expect(result.ok ? 200 : result.response.status).toBe(413);
    expect(pulled()).toBe(0);
  });

  it("stops reading an undeclared (chunked) body as soon as it passes the limit", async () => {
    const chunks = Array.from({ length: 100 }, () => encoder.encode("x".repeat(400)));
    const { request, pulled } = chunkedRequest(URL_, chunks);
    const result = await readJsonBody(request, 1024);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(413);
    const body = await bodyOf(result.response);
    expect(body.error).toBe("payload_too_large");
    expect(body.message).toContain("1024-byte limit");
    // The third 400-byte chunk passes 1024 bytes: nothing after it is read.
    expect(pulled()).toBe(3);
  });

  it("accepts a body of exactly the limit and refuses one byte more", async () => {
    const exact = `"${"x".repeat(98)}"`;
    expect((await readJsonBody(jsonRequest(URL_, exact), 100)).ok).toBe(true);
    const over = `"${"x".repeat(99)}"`;
    const result = await readJsonBody(chunkedRequest(URL_, [encoder.encode(over)]).request, 100);
    expect(result.ok ? 200 : result.response.status).toBe(413);
  });

  it.each([
    ["malformed JSON", '{"a": 1,'],
    ["an empty body", ""],
  ])("answers %s with 400 invalid_json", async (_label, text) => {
    const result = await readJsonBody(jsonRequest(URL_, text), 1024);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(400);
    expect((await bodyOf(result.response)).error).toBe("invalid_json");
  });

  it("answers invalid UTF-8 with 400", async () => {
    const { request } = chunkedRequest(URL_, [new Uint8Array([0x22, 0xff, 0xfe, 0x22])]);
    const result = await readJsonBody(request, 1024);
    expect(result.ok ? 200 : result.response.status).toBe(400);
  });

  it("reads any JSON value under the limit identically, however the body is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        async (value, cuts) => {
          const bytes = encoder.encode(JSON.stringify(value));
          const chunks: Uint8Array[] = [];
          let offset = 0;
          for (let index = 0; offset < bytes.length; index++) {
            const size = cuts[index % cuts.length] as number;
            chunks.push(bytes.slice(offset, offset + size));
            offset += size;
          }
          const result = await readJsonBody(chunkedRequest(URL_, chunks).request, 1 << 20);
          expect(result.ok).toBe(true);
          if (result.ok) expect(result.value).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
      { numRuns: 150 },
    );
  });
});
