// Server-side Lua for the writes that must be atomic: last-write-wins values, window merges and
// watermarks. Each script touches exactly one key (one slot in Cluster). They read only the binary
// record headers (see codec.ts), never the bodies.
import { createHash } from "node:crypto";

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash("sha1").update(lua).digest("hex") };
}

// Never shortens an expiry: a write refreshes it to `ttl` unless a longer one is already set.
const REFRESH_EXPIRY = `
local function refresh_expiry(key, ttl)
  if ttl == '' then return end
  local ms = tonumber(ttl)
  local remaining = redis.call('PTTL', key)
  if remaining == -1 or remaining < ms then redis.call('PEXPIRE', key, ms) end
end
`;

/**
 * KEYS[1..n] entity hashes (one slot in Cluster); ARGV holds 3 per key: field, value blob, ttl ms or ''.
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
  local base = (i - 1) * 3
  codes[i] = write_one(KEYS[i], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3])
end
return codes
`,
);

/**
 * KEYS[1..n] entity hashes (one slot in Cluster). ARGV, per key in order: field, window size, ttl ms
 * or '', entry count c, then c entries. Returns one code per entry, in order: 1 applied, 2 duplicate
 * event id, 3 outside the window, -1 the field holds a value. Windows are kept sorted by (event time,
 * event id bytes), newest N.
 */
export const APPEND_WINDOWS = script(
  "ctxstore_append_windows",
  `${REFRESH_EXPIRY}
local function entry_at(blob, pos)
  local event_time, id_length = struct.unpack('>dH', blob, pos)
  local id = string.sub(blob, pos + 10, pos + 9 + id_length)
  local body_length = struct.unpack('>I4', blob, pos + 10 + id_length)
  local stop = pos + 13 + id_length + body_length
  if #id ~= id_length or stop > #blob then error('truncated entry') end
  return { event_time, id, string.sub(blob, pos, stop) }, stop + 1
end

local function parse(blob)
  local entries = {}
  local pos = 3
  while pos <= #blob do
    local entry
    entry, pos = entry_at(blob, pos)
    entries[#entries + 1] = entry
  end
  return entries
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

local function before(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return id_less(a[2], b[2])
end

local codes = {}

local function append_one(key, field, window, ttl, first, count)
  local entries = {}
  local stored = redis.call('HGET', key, field)
  if stored then
    local tag = string.sub(stored, 1, 2)
    if tag == 'v\\1' then
      for i = 1, count do codes[#codes + 1] = -1 end
      return
    end
    if tag == 'w\\1' then
      local ok, parsed = pcall(parse, stored)
      if ok then entries = parsed end
    end
  end
  local changed, applied = false, false
  for i = first, first + count - 1 do
    local incoming = entry_at(ARGV[i], 1)
    local duplicate = false
    for j = 1, #entries do
      if entries[j][2] == incoming[2] then duplicate = true break end
    end
    if duplicate then
      codes[#codes + 1] = 2
    else
      local position = #entries + 1
      while position > 1 and before(incoming, entries[position - 1]) do position = position - 1 end
      local dropped = #entries + 1 - window
      if dropped > 0 and position <= dropped then
        -- Older than everything kept: not applied. A shrunk window still trims what is kept.
        if dropped > 1 then
          local kept = {}
          for j = dropped, #entries do kept[#kept + 1] = entries[j] end
          entries = kept
          changed = true
        end
        codes[#codes + 1] = 3
      else
        table.insert(entries, position, incoming)
        while #entries > window do table.remove(entries, 1) end
        codes[#codes + 1] = 1
        changed, applied = true, true
      end
    end
  end
  if changed then
    local parts = { 'w\\1' }
    for j = 1, #entries do parts[#parts + 1] = entries[j][3] end
    redis.call('HSET', key, field, table.concat(parts))
  end
  if applied then refresh_expiry(key, ttl) end
end

local position = 1
for i = 1, #KEYS do
  local count = tonumber(ARGV[position + 3])
  append_one(KEYS[i], ARGV[position], tonumber(ARGV[position + 1]), ARGV[position + 2], position + 4, count)
  position = position + 4 + count
end
return codes
`,
);

/** KEYS[1] watermark hash; ARGV[1] field; ARGV[2] epoch ms. Raises, never lowers. Returns 1 when raised. */
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
