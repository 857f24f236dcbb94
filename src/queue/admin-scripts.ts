/**
 * Lua scripts of the operator actions (retry, delete, purge). Like the
 * worker's scripts, keys are always passed as KEYS so a Redis Cluster hash
 * tag keeps them in one slot.
 */
import { defineScript } from "./transport.js";

/**
 * Lua: pushes an audit template (see `auditTemplate`) with its
 * `"count":-1` replaced by `n`, then trims the list to `cap`.
 */
const AUDIT_LUA = `
local function audit(key, template, n, cap)
  local at = string.find(template, '"count":-1', 1, true)
  local entry = string.sub(template, 1, at - 1) .. '"count":' .. n ..
    string.sub(template, at + 10)
  redis.call('LPUSH', key, entry)
  redis.call('LTRIM', key, 0, cap - 1)
end
`;

/**
 * KEYS: list, destination. ARGV: start, stop, tombstone, mode, n, then n
 * entries, then (mode "move") n replacements.
 *
 * Takes exact entries out of the window LRANGE list start..stop (negative
 * indexes, counted from the tail). Each entry found in the window is
 * overwritten by `tombstone` (LSET by index: cheap even deep in a long
 * list) and, in mode "move", its replacement is pushed to the tail of the
 * destination; one LREM then removes every tombstone. That is one scan of
 * the list per window instead of one LREM scan per entry. Returns one 1
 * (taken) or 0 (no longer in the window) per entry, in order.
 */
export const takeFromWindowScript = defineScript(
  "take-from-window",
  `
local stop = tonumber(ARGV[2])
local window = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])
local free = {}
for i = 1, #window do
  local slots = free[window[i]]
  if not slots then
    slots = {}
    free[window[i]] = slots
  end
  slots[#slots + 1] = i
end
local isMove = ARGV[4] == 'move'
local n = tonumber(ARGV[5])
local taken, marked = {}, 0
for j = 1, n do
  local slots = free[ARGV[5 + j]]
  local i = slots and table.remove(slots, 1)
  if i then
    redis.call('LSET', KEYS[1], stop - (#window - i), ARGV[3])
    if isMove then redis.call('RPUSH', KEYS[2], ARGV[5 + n + j]) end
    marked = marked + 1
    taken[j] = 1
  else
    taken[j] = 0
  end
end
if marked > 0 then redis.call('LREM', KEYS[1], -marked, ARGV[3]) end
return taken
`,
);

/**
 * KEYS: list or zset, audit. ARGV: kind ("list" | "zset"), confirmed
 * ("1" | "0"), audit template, audit cap.
 * Removes the whole key when it holds at most one entry or `confirmed`,
 * and records it in the audit list. Returns how many entries it removed,
 * or minus the count when it refused (more than one, not confirmed).
 */
export const purgeScript = defineScript(
  "purge",
  `${AUDIT_LUA}
local n
if ARGV[1] == 'zset' then
  n = redis.call('ZCARD', KEYS[1])
else
  n = redis.call('LLEN', KEYS[1])
end
if n == 0 then return 0 end
if n > 1 and ARGV[2] ~= '1' then return -n end
redis.call('UNLINK', KEYS[1])
audit(KEYS[2], ARGV[3], n, tonumber(ARGV[4]))
return n
`,
);

/**
 * KEYS: pause, audit. ARGV: audit template, audit cap.
 * Deletes the pause key and records the resume with count 1 when the
 * queue was paused, 0 when it was not. Returns that count.
 */
export const resumeScript = defineScript(
  "resume",
  `${AUDIT_LUA}
local n = redis.call('DEL', KEYS[1])
audit(KEYS[2], ARGV[1], n, tonumber(ARGV[2]))
return n
`,
);
