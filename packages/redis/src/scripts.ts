// Server-side Lua for the writes that must be atomic: last-write-wins values, window merges and
// watermarks. Each script touches exactly one key (one slot in Cluster). They read only the binary
// record headers (see codec.ts), never the bodies.
import { createHash } from "node:crypto";
import { CtxError } from "@ctxstore/core";

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash("sha1").update(lua).digest("hex") };
}

// Never shortens an expiry: a write refreshes it to `ttl` ms (0: none) unless a longer one is set.
const REFRESH_EXPIRY = `
local function refresh_expiry(key, ttl)
  if ttl <= 0 then return end
  local remaining = redis.call('PTTL', key)
  if remaining == -1 or remaining < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS[1..n] entity hashes (one slot in Cluster); ARGV holds one argument per key (see
 * valueArgument): field length u16 | field | ttl ms f64 (0: none) | value blob.
 * Returns one code per key: 1 applied, 0 older (kept the stored value), -1 the field holds a window.
 * An undecodable stored blob (foreign writer) is replaced: it could never be read anyway.
 */
export const WRITE_VALUES = script(
  "ctxstore_write_values",
  `${REFRESH_EXPIRY}
local function write_one(key, field, incoming, ttl)
  local current = redis.call('HGET', key, field)
  if current then
    local tag = string.sub(current, 1, 2)
    if tag == 'w\\1' then return -1 end
    if tag == 'v\\1' and #current >= 18 then
      local current_event, current_write = struct.unpack('>dd', current, 3)
      local event_time, write_time = struct.unpack('>dd', incoming, 3)
      if event_time < current_event or (event_time == current_event and write_time < current_write) then
        return 0
      end
    end
  end
  redis.call('HSET', key, field, incoming)
  refresh_expiry(key, ttl)
  return 1
end

local codes = {}
for i = 1, #KEYS do
  local argument = ARGV[i]
  local field, ttl, blob_start = struct.unpack('>Hc0d', argument)
  codes[i] = write_one(KEYS[i], field, string.sub(argument, blob_start), ttl)
end
return codes
`,
);

/**
 * KEYS[1..n] entity hashes (one slot in Cluster). ARGV holds one argument per key (see
 * windowArgument): field length u16 | field | window size f64 | ttl ms f64 (0: none) | the incoming
 * entries concatenated (each entry is self-delimiting, see codec.ts). Returns one
 * code per incoming entry, in order: 1 applied, 2 duplicate event id, 3 outside the window, -1 the
 * field holds a value. Windows are kept sorted by (event time, event id bytes), newest N.
 *
 * Entries are never copied one by one: the merge works on (event time, id, byte range) and the new
 * window is cut from the stored and incoming blobs in as few contiguous ranges as possible (for the
 * usual append of the newest event: the kept tail of the stored window plus the new entry).
 */
export const APPEND_WINDOWS = script(
  "ctxstore_append_windows",
  `${REFRESH_EXPIRY}
-- Appends the headers of the entries in blob[first..] to the lists (source tells the blobs apart).
-- 'c0' reads the id with the length before it: one unpack yields time, id, body length, body start.
local function scan(blob, first, source, times, ids, sources, starts, stops)
  local pos, size, n = first, #blob, #times
  while pos <= size do
    if pos + 13 > size then error('truncated entry') end
    local event_time, id, body_length, body_start = struct.unpack('>dHc0I4', blob, pos)
    local stop = body_start + body_length - 1
    if stop > size then error('truncated entry') end
    n = n + 1
    times[n], ids[n], sources[n], starts[n], stops[n] = event_time, id, source, pos, stop
    pos = stop + 1
  end
end

-- Byte order, not strcoll: the server locale must not change the order of equal-time events.
local function id_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local codes = {}

-- The usual case, without building lists: one incoming entry, newer than everything stored, whose id
-- bytes appear nowhere in the stored window (so it cannot be a duplicate). Walks the stored entry
-- headers by length only, then cuts the new window from the kept tail plus the entry. Returns
-- false, changing nothing, whenever the general merge is needed.
local function fast_append(key, field, window, ttl, stored, incoming, entry_start)
  local size = #incoming
  if entry_start + 13 > size then return false end
  local event_time, id_length = struct.unpack('>dH', incoming, entry_start)
  local body_length = struct.unpack('>I4', incoming, entry_start + 10 + id_length)
  if entry_start + 13 + id_length + body_length ~= size then return false end
  local parts
  if stored == nil then
    parts = { 'w\\1', string.sub(incoming, entry_start) }
  else
    if string.sub(stored, 1, 2) ~= 'w\\1' then return false end
    local needle = string.sub(incoming, entry_start + 8, entry_start + 9 + id_length)
    if string.find(stored, needle, 3, true) then return false end
    local pos, stored_size, count, second, last_entry = 3, #stored, 0, nil, nil
    while pos <= stored_size do
      if pos + 13 > stored_size then return false end
      local length = struct.unpack('>H', stored, pos + 8)
      if pos + 13 + length > stored_size then return false end
      local body = struct.unpack('>I4', stored, pos + 10 + length)
      last_entry = pos
      pos = pos + 14 + length + body
      count = count + 1
      if count == 1 then second = pos end
    end
    if pos ~= stored_size + 1 or count > window then return false end
    if count > 0 and struct.unpack('>d', stored, last_entry) >= event_time then return false end
    local keep_from = count == window and second or 3
    parts = { 'w\\1', string.sub(stored, keep_from), string.sub(incoming, entry_start) }
  end
  redis.call('HSET', key, field, table.concat(parts))
  refresh_expiry(key, ttl)
  codes[#codes + 1] = 1
  return true
end

local function append_one(key, incoming)
  local field, window, ttl, entries_start = struct.unpack('>Hc0dd', incoming)
  local stored = redis.call('HGET', key, field)
  if fast_append(key, field, window, ttl, stored or nil, incoming, entries_start) then return end
  local in_times, in_ids, in_sources, in_starts, in_stops = {}, {}, {}, {}, {}
  scan(incoming, entries_start, 2, in_times, in_ids, in_sources, in_starts, in_stops)
  local times, ids, sources, starts, stops = {}, {}, {}, {}, {}
  if stored then
    local tag = string.sub(stored, 1, 2)
    if tag == 'v\\1' then
      for _ = 1, #in_times do codes[#codes + 1] = -1 end
      return
    end
    if tag == 'w\\1' and not pcall(scan, stored, 3, 1, times, ids, sources, starts, stops) then
      -- Unreadable (foreign writer): start the window afresh; it could never be read anyway.
      times, ids, sources, starts, stops = {}, {}, {}, {}, {}
    end
  end
  -- The window is the newest (window) entries: times[first..n]. Older ones stay in the lists
  -- (no shifting) and are left out when the blob is rebuilt.
  local n = #times
  local trimmed = n > window
  local applied = false
  for k = 1, #in_times do
    local event_time, id = in_times[k], in_ids[k]
    local first = n > window and n - window + 1 or 1
    local duplicate = false
    for j = first, n do
      if ids[j] == id then duplicate = true break end
    end
    if duplicate then
      codes[#codes + 1] = 2
    else
      local position = n + 1
      while position > first do
        local t = times[position - 1]
        if event_time < t or (event_time == t and id_less(id, ids[position - 1])) then
          position = position - 1
        else
          break
        end
      end
      if n - first + 1 >= window and position == first then
        -- Older than everything kept: not applied.
        codes[#codes + 1] = 3
      else
        if position == n + 1 then
          times[position], ids[position], sources[position] = event_time, id, 2
          starts[position], stops[position] = in_starts[k], in_stops[k]
        else
          table.insert(times, position, event_time) table.insert(ids, position, id)
          table.insert(sources, position, 2) table.insert(starts, position, in_starts[k])
          table.insert(stops, position, in_stops[k])
        end
        n = n + 1
        codes[#codes + 1] = 1
        applied = true
      end
    end
  end
  if applied or trimmed then
    -- Cut the window from the two blobs, merging neighbouring ranges of the same blob.
    local parts = { 'w\\1' }
    local j = n > window and n - window + 1 or 1
    while j <= n do
      local source, from, to = sources[j], starts[j], stops[j]
      while j < n and sources[j + 1] == source and starts[j + 1] == to + 1 do
        j = j + 1
        to = stops[j]
      end
      parts[#parts + 1] = string.sub(source == 1 and stored or incoming, from, to)
      j = j + 1
    end
    redis.call('HSET', key, field, table.concat(parts))
  end
  if applied then refresh_expiry(key, ttl) end
end

for i = 1, #KEYS do
  append_one(KEYS[i], ARGV[i])
end
return codes
`,
);

/** KEYS[1] watermark hash; ARGV[1] field; ARGV[2] epoch ms. Raises, never lowers. Returns 1 when raised. */
/** Right to erasure: every field of one entity's hash, in one step; returns how many there were. */
export const FORGET_ENTITY = script(
  "ctxstore_forget_entity",
  `
local count = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return count
`,
);

export const SET_WATERMARK = script(
  "ctxstore_set_watermark",
  `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '')
local incoming = tonumber(ARGV[2])
if current == nil or incoming > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
`,
);

/**
 * Bytes in front of the value blob in a WRITE_VALUES argument for `field` (field length u16, field,
 * ttl f64): encodeValue leaves this much room and fillValueArgument fills it.
 */
export function valueArgumentRoom(field: string): number {
  return 2 + checkedFieldBytes(field) + 8;
}

/** Writes field and ttl into the room in front of the value blob (see valueArgumentRoom). */
export function fillValueArgument(argument: Buffer, field: string, ttlMs: number | undefined): Buffer {
  const fieldBytes = argument.write(field, 2, "utf8");
  argument.writeUInt16BE(fieldBytes, 0);
  argument.writeDoubleBE(ttlMilliseconds(ttlMs), 2 + fieldBytes);
  return argument;
}

/** The APPEND_WINDOWS argument for one key: field, window size and ttl in front of the entries. */
export function windowArgument(
  field: string,
  window: number,
  ttlMs: number | undefined,
  entries: readonly Buffer[],
): Buffer {
  const fieldBytes = checkedFieldBytes(field);
  let size = 2 + fieldBytes + 8 + 8;
  for (const entry of entries) size += entry.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(fieldBytes, 0);
  out.write(field, 2, "utf8");
  out.writeDoubleBE(window, 2 + fieldBytes);
  out.writeDoubleBE(ttlMilliseconds(ttlMs), 10 + fieldBytes);
  let position = 18 + fieldBytes;
  for (const entry of entries) position += entry.copy(out, position);
  return out;
}

/** Fields are few (one per source@version), so their byte lengths are kept. */
const fieldBytesKnown = new Map<string, number>();

function checkedFieldBytes(field: string): number {
  const known = fieldBytesKnown.get(field);
  if (known !== undefined) return known;
  const bytes = Buffer.byteLength(field);
  if (bytes > 0xffff) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `redis store: field ${JSON.stringify(field.slice(0, 40))}... is ${bytes} bytes; fields are source@version names and must be under 64 KiB.`,
      { store: "redis", bytes },
    );
  }
  if (fieldBytesKnown.size < 10_000) fieldBytesKnown.set(field, bytes);
  return bytes;
}

function ttlMilliseconds(ttlMs: number | undefined): number {
  return ttlMs === undefined ? 0 : Math.max(1, Math.ceil(ttlMs));
}
