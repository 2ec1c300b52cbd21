// Reads a JSON request body without trusting the client: the content type must be JSON, a declared
// Content-Length over the limit is refused before any byte is read, and an undeclared (chunked)
// body is counted as it streams and abandoned the moment it passes the limit, so an oversized body
// never sits in memory whole.
import { errorResponse } from "./responses.js";

/**
 * What `readJsonBody` returns: the parsed JSON, or the error Response to answer with (415 not JSON,
 * 413 too large, 400 malformed).
 */
export type BodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly response: Response };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

function tooLarge(limitBytes: number, receivedBytes: number | undefined): Response {
  return errorResponse(413, {
    error: "payload_too_large",
    message: `The request body is larger than the ${limitBytes}-byte limit${receivedBytes === undefined ? "" : ` (${receivedBytes} bytes declared)`}. Send fewer or smaller items per request.`,
    limitBytes,
  });
}

/** Reads and parses a JSON body of at most `limitBytes` bytes (UTF-8). */
export async function readJsonBody(request: Request, limitBytes: number): Promise<BodyResult> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!JSON_TYPE.test(contentType)) {
    return {
      ok: false,
      response: errorResponse(415, {
        error: "unsupported_media_type",
        message: `Expected a JSON body with "content-type: application/json"; got ${contentType ? JSON.stringify(contentType) : "no content type"}.`,
      }),
    };
  }
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const declaredBytes = Number(declared);
    if (Number.isFinite(declaredBytes) && declaredBytes > limitBytes)
      return { ok: false, response: tooLarge(limitBytes, declaredBytes) };
  }
  if (request.body === null) return { ok: false, response: invalidJson("the body is empty") };

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limitBytes) {
        // Stop reading: the rest of an oversized body is never buffered.
        await reader.cancel("body over the size limit").catch(() => undefined);
        return { ok: false, response: tooLarge(limitBytes, undefined) };
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (received === 0) return { ok: false, response: invalidJson("the body is empty") };

  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, response: invalidJson("the body is not valid UTF-8") };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, response: invalidJson((error as Error).message) };
  }
}

function invalidJson(reason: string): Response {
  return errorResponse(400, {
    error: "invalid_json",
    message: `The request body is not valid JSON (${reason}). Send a JSON document.`,
  });
}
