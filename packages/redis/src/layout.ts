// Where records live in Redis. One hash per (entity, key), its name wrapped in a hash tag so every
// source of one entity shares a slot (one HMGET reads them all, one Lua script touches one slot), and
// one field per source@version. Watermarks live in one small hash per namespace.
//
//   <prefix><tenant:>{<entity>:<key>}         HASH  <source>@<version> -> record blob
//   <prefix><tenant:>{%t<tenant>:<entity>:<key>}   the same, for a record of a multi-tenant
//                                             context store (RecordAddress.tenant)
//   <prefix><tenant:>watermarks               HASH  <source>@<version> -> epoch ms (string)
//   <prefix><tenant:>tenant:data:{%t<tenant>} HASH  data -> "1": the request tenant has had a write or
//                                             append (so a read can tell a wrong tenant id from a
//                                             quiet tenant); its own hash tag, one small key per tenant.
//                                             Two segments before the brace: no namespace's entity
//                                             keys (`<prefix><tenant>{`) or SCAN pattern can match it.
//
// Inside the braces, `%`, `{` and `}` (and `:` in the entity name) are percent-encoded, so the hash tag
// always covers exactly `<entity>:<key>` and no two (entity, key) pairs can share a Redis key.
// A request tenant goes inside the hash tag too (percent-encoded like the entity), so one tenant's
// entity is still one slot on Cluster; its `%t` marker cannot start an encoded entity name (a literal
// `%` there is always `%25`), so a tenant's record never shares a key with a tenant-less one.
import { CtxError } from "@ctxstore/core";

/**
 * Where a Redis store keeps records: one hash per (entity, key) whose name is wrapped in a hash tag, so
 * every source of one entity shares a Cluster slot, plus one watermarks hash per namespace.
 */
export interface KeyLayout {
  /** `ctx:` by default; every key this store touches starts with it. */
  readonly prefix: string;
  /** `<prefix><tenant>:` or `<prefix>` when no tenant is set. */
  readonly namespace: string;
  /**
   * The Redis key of one entity's hash (`<namespace>{<entity>:<key>}`, percent-encoded inside the braces).
   */
  entityKey(entity: string, key: string, tenant?: string): string;
  readonly watermarkKey: string;
  /**
   * The Redis key of a request tenant's "has had data" marker (`<namespace>tenant:data:{%t<tenant>}`): outside
   * every namespace's `{` entity keys (so sampling's SCAN never meets it), percent-encoded like them.
   */
  tenantMarkerKey(tenant: string): string;
}

const SAFE_PART = /^[^\s{}]*$/;

/**
 * The key layout for a prefix (default "ctx:") and optional tenant namespace. Throws `CTX_CONFIG` for
 * a prefix with spaces or braces, or a tenant with spaces, braces or ":".
 */
export function keyLayout(prefix = "ctx:", tenant?: string): KeyLayout {
  if (typeof prefix !== "string" || !SAFE_PART.test(prefix)) {
    throw new CtxError(
      "CTX_CONFIG",
      `redis store: prefix ${JSON.stringify(prefix)} must be a string without spaces or braces (braces would break the per-entity hash tag); e.g. "ctx:".`,
      { prefix },
    );
  }
  if (
    tenant !== undefined &&
    (typeof tenant !== "string" || tenant.length === 0 || !SAFE_PART.test(tenant) || tenant.includes(":"))
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      `redis store: tenant ${JSON.stringify(tenant)} must be a non-empty string without spaces, braces or ":"; e.g. "acme".`,
      { tenant },
    );
  }
  const namespace = tenant === undefined ? prefix : `${prefix}${tenant}:`;
  return {
    prefix,
    namespace,
    entityKey: (entity, key, requestTenant) =>
      requestTenant === undefined
        ? `${namespace}{${percentEncode(entity, ENTITY_SPECIAL)}:${percentEncode(key, KEY_SPECIAL)}}`
        : `${namespace}{%t${percentEncode(requestTenant, ENTITY_SPECIAL)}:${percentEncode(entity, ENTITY_SPECIAL)}:${percentEncode(key, KEY_SPECIAL)}}`,
    watermarkKey: `${namespace}watermarks`,
    tenantMarkerKey: (requestTenant) =>
      `${namespace}tenant:data:{%t${percentEncode(requestTenant, ENTITY_SPECIAL)}}`,
  };
}

const ENTITY_SPECIAL = /[%:{}]/g;
const KEY_SPECIAL = /[%{}]/g;
/** See the note on `charCode` in core's tokenize/pieces.ts (ioredis 6 and V8's string fast path). */
const charCode = String.prototype.charCodeAt;

function percentEncode(part: string, special: RegExp): string {
  // Every key written or read goes through here, and almost none has anything to encode: one scan
  // decides (`:` is checked for keys too; the expression then leaves it alone).
  for (let index = 0; index < part.length; index++) {
    const code = charCode.call(part, index);
    if (code === 0x25 || code === 0x3a || code === 0x7b || code === 0x7d)
      return part.replace(special, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return part;
}

// Redis Cluster slot of a key: CRC16 (XMODEM) of the hash tag (or the whole key), mod 16384.
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** The Redis Cluster hash slot (0..16383) of a key, honouring its `{hash tag}` as Redis does. */
export function clusterSlot(key: string | Buffer): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % 16384;
}
