/**
 * Lua scripts: every multi-key move that must be atomic on both transports.
 * Keys are always passed as KEYS so a Redis Cluster hash tag keeps them in
 * one slot.
 */
import { defineScript } from "./transport.js";

/**
 * KEYS: pending, inFlight, pause, workers. ARGV: max, workerId.
 * Moves up to `max` tasks from the head of pending to the in-flight list,
 * and (unless paused) registers the worker in `workers`: a worker that
 * another one gave up for dead (heartbeat expired, its tasks returned, its
 * name removed) and that claims again before its next heartbeat is then
 * still found by the recovery if it dies, instead of leaving its new tasks
 * where none looks. The worker calls it with max 0 right after a BLMOVE.
 * Returns the moved tasks, or nil when the queue is paused.
 */
export const claimScript = defineScript(
  "claim",
  `
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
redis.call('SADD', KEYS[4], ARGV[2])
local max = tonumber(ARGV[1])
if max <= 0 then return {} end
local items = redis.call('LRANGE', KEYS[1], 0, max - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items
`,
  { returnsEntries: true },
);

/**
 * KEYS: retries, scheduled, pending. ARGV: nowMs, limit.
 * Moves due members of both zsets to the tail of pending. Returns how many.
 */
export const promoteScript = defineScript(
  "promote",
  `
local moved = 0
for i = 1, 2 do
  local due = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[1],
    'LIMIT', 0, tonumber(ARGV[2]))
  if #due > 0 then
    redis.call('ZREM', KEYS[i], unpack(due))
    redis.call('RPUSH', KEYS[3], unpack(due))
    moved = moved + #due
  end
end
return moved
`,
);

/**
 * KEYS: heartbeat, inFlight, workers, pending. ARGV: workerId, force.
 * Unless `force` is "1", does nothing (-1) while the heartbeat exists.
 * Otherwise returns every in-flight task to the head of pending in its
 * original order, deletes the list, forgets the worker; returns how many.
 */
export const returnInFlightScript = defineScript(
  "return-in-flight",
  `
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do
  redis.call('LPUSH', KEYS[4], items[i])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return #items
`,
);

/**
 * KEYS: inFlight, pending. ARGV: task.
 * Puts one claimed task back at the head of pending (used when a pause
 * arrives between a blocking fetch and its start). Returns 1 or 0.
 */
export const unclaimScript = defineScript(
  "unclaim",
  `
local removed = redis.call('LREM', KEYS[1], 1, ARGV[1])
if removed == 1 then redis.call('LPUSH', KEYS[2], ARGV[1]) end
return removed
`,
);

/**
 * KEYS: pending, inFlight, pause, retries, scheduled, workers. ARGV: max,
 * nowMs, limit, workerId. The polling claim of transports that cannot
 * block (REST): moves due retries and scheduled tasks to pending (as
 * promoteScript), then claims and registers as claimScript, so an idle
 * poll costs one request. Returns the claimed tasks, or nil when the
 * queue is paused (promotion still runs).
 */
export const promoteAndClaimScript = defineScript(
  "promote-and-claim",
  `
for i = 4, 5 do
  local due = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[2],
    'LIMIT', 0, tonumber(ARGV[3]))
  if #due > 0 then
    redis.call('ZREM', KEYS[i], unpack(due))
    redis.call('RPUSH', KEYS[1], unpack(due))
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
redis.call('SADD', KEYS[6], ARGV[4])
local max = tonumber(ARGV[1])
if max <= 0 then return {} end
local items = redis.call('LRANGE', KEYS[1], 0, max - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items
`,
  { returnsEntries: true },
);

/**
 * KEYS: workers, heartbeat, pending. ARGV: workerId, info, ttlMs,
 * heartbeatPrefix, inFlightPrefix. The heartbeat and the recovery of dead
 * workers in one request (REST bills per request): registers the worker,
 * refreshes its heartbeat, then does returnInFlightScript's work for every
 * other registered worker whose heartbeat is gone. Returns a flat list
 * `workerId, count, ...` of the workers recovered.
 *
 * The other workers' keys are built here from the prefixes keys.ts gives,
 * since they are only known once SMEMBERS has run; with a Redis Cluster
 * they share the prefix's hash tag, so they live in the script's slot.
 */
export const upkeepScript = defineScript(
  "upkeep",
  `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
local recovered = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[1] and redis.call('EXISTS', ARGV[4] .. id) == 0 then
    local list = ARGV[5] .. id
    local items = redis.call('LRANGE', list, 0, -1)
    for i = #items, 1, -1 do
      redis.call('LPUSH', KEYS[3], items[i])
    end
    redis.call('DEL', list)
    redis.call('SREM', KEYS[1], id)
    table.insert(recovered, id)
    table.insert(recovered, #items)
  end
end
return recovered
`,
);

/**
 * KEYS: inFlight, processed, failed, retries, statsDay, pending, pause,
 * scheduled, workers, acknowledged (the worker's applied write ids), then
 * the keys every outcome deletes, outcome after outcome.
 * ARGV: processedCap, statsTtlSeconds, claimMax, promoteNowMs (0: do not
 * promote), promoteLimit, workerId, writeId ('' for none), writeSeq,
 * oldestUnanswered, then seven per outcome: kind (p, f or r; in capitals
 * when the next argument is the SHA-1 of the raw task instead of the
 * task), raw task or its SHA-1, payload (record, or the task to retry),
 * retry due ms, counter field, payload tail, how many keys it deletes.
 * A large entry is named by its digest: sending it back whole could pass
 * a REST request limit, and its bytes are in the in-flight list already.
 *
 * A write whose writeId the worker's applied ids hold (a sorted set by
 * writeSeq, kept a day after its last write) was applied already, its
 * reply lost: it records nothing again, reports nothing skipped and each
 * count of deleted keys as -1 (unknown). The ids below oldestUnanswered
 * are dropped: their replies came, so they are never sent again (a count
 * of recent ids would not do: while one write waits out a retry, the
 * other writes go on). Else each outcome is written only if its in-flight
 * copy is still there, and that copy is removed in the same step: a task
 * that another worker already returned to the queue leaves no second
 * record. The write id
 * matters when a producer queued one text twice and this worker runs
 * both: copies are told apart by their text only, so a write applied
 * again would take the other copy's entry and give it this record.
 * An outcome with keys to delete UNLINKs them in that same step; with a
 * payload tail, its record is payload .. (how many existed) .. tail.
 *
 * Then, with promoteNowMs, moves due retries and scheduled tasks to
 * pending (as promoteScript), and with claimMax claims up to that many
 * tasks and registers the worker (as claimScript), so one request
 * acknowledges a batch and fetches the next.
 *
 * Returns { skipped, deleted, claimed }: the 0-based positions of the
 * outcomes skipped, how many keys existed for each outcome with keys (-1:
 * skipped), and the claimed tasks (nil when paused).
 */
export const acknowledgeScript = defineScript(
  "acknowledge",
  `
local processed, failed, counters, deleted, skipped = {}, {}, {}, {}, {}
local function remove(entry, isDigest)
  if not isDigest then return redis.call('LREM', KEYS[1], 1, entry) end
  for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    if redis.sha1hex(item) == entry then
      return redis.call('LREM', KEYS[1], 1, item)
    end
  end
  return 0
end
local nextKey, i = 11, 10
local writeId = ARGV[7]
if writeId ~= '' and redis.call('ZSCORE', KEYS[10], writeId) then
  while i <= #ARGV do
    if tonumber(ARGV[i + 6]) > 0 then deleted[#deleted + 1] = -1 end
    i = i + 7
  end
elseif writeId ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', '(' .. ARGV[9])
  redis.call('ZADD', KEYS[10], ARGV[8], writeId)
  redis.call('EXPIRE', KEYS[10], 86400)
end
while i <= #ARGV do
  local kind, payload = string.lower(ARGV[i]), ARGV[i + 2]
  local field, tail, keyCount = ARGV[i + 4], ARGV[i + 5], tonumber(ARGV[i + 6])
  local firstKey = nextKey
  nextKey = nextKey + keyCount
  if remove(ARGV[i + 1], kind ~= ARGV[i]) == 1 then
    if keyCount > 0 then
      local existed = redis.call('UNLINK',
        unpack(KEYS, firstKey, firstKey + keyCount - 1))
      deleted[#deleted + 1] = existed
      if tail ~= '' then payload = payload .. existed .. tail end
    end
    if kind == 'r' then
      redis.call('ZADD', KEYS[4], ARGV[i + 3], payload)
    elseif kind == 'p' then
      processed[#processed + 1] = payload
    else
      failed[#failed + 1] = payload
    end
    counters[field] = (counters[field] or 0) + 1
  else
    skipped[#skipped + 1] = (i - 10) / 7
    if keyCount > 0 then deleted[#deleted + 1] = -1 end
  end
  i = i + 7
end
if #processed > 0 then
  redis.call('LPUSH', KEYS[2], unpack(processed))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[1]) - 1)
end
if #failed > 0 then redis.call('LPUSH', KEYS[3], unpack(failed)) end
local counted = false
for field, n in pairs(counters) do
  redis.call('HINCRBY', KEYS[5], field, n)
  counted = true
end
if counted then redis.call('EXPIRE', KEYS[5], ARGV[2]) end

if tonumber(ARGV[4]) > 0 then
  for _, zset in ipairs({ KEYS[4], KEYS[8] }) do
    local due = redis.call('ZRANGEBYSCORE', zset, '-inf', ARGV[4],
      'LIMIT', 0, tonumber(ARGV[5]))
    if #due > 0 then
      redis.call('ZREM', zset, unpack(due))
      redis.call('RPUSH', KEYS[6], unpack(due))
    end
  end
end
local claimed = {}
local max = tonumber(ARGV[3])
if max > 0 then
  if redis.call('EXISTS', KEYS[7]) == 1 then
    claimed = false
  else
    redis.call('SADD', KEYS[9], ARGV[6])
    claimed = redis.call('LRANGE', KEYS[6], 0, max - 1)
    if #claimed > 0 then
      redis.call('LTRIM', KEYS[6], #claimed, -1)
      redis.call('RPUSH', KEYS[1], unpack(claimed))
    end
  end
end
return { skipped, deleted, claimed }
`,
  { returnsEntries: true },
);

/**
 * KEYS: one list or zset. ARGV: needle, kind ("list" | "zset"), chunk, max.
 * Reads the key in chunks of `chunk` entries and returns, for up to `max`
 * entries containing `needle` (plain substring), the flat triples
 * position, entry, score ("" for a list). Read-only; O(length of the key).
 */
export const findInListScript = defineScript(
  "find-in-list",
  `
local needle, isZset = ARGV[1], ARGV[2] == 'zset'
local chunk, max = tonumber(ARGV[3]), tonumber(ARGV[4])
local step = isZset and 2 or 1
local found, matches, start = {}, 0, 0
while matches < max do
  local items
  if isZset then
    items = redis.call('ZRANGE', KEYS[1], start, start + chunk - 1, 'WITHSCORES')
  else
    items = redis.call('LRANGE', KEYS[1], start, start + chunk - 1)
  end
  for i = 1, #items, step do
    if string.find(items[i], needle, 1, true) then
      found[#found + 1] = start + (i - 1) / step
      found[#found + 1] = items[i]
      found[#found + 1] = isZset and items[i + 1] or ''
      matches = matches + 1
      if matches >= max then break end
    end
  end
  if #items < chunk * step then break end
  start = start + chunk
end
return found
`,
);
