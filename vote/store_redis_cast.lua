-- Cast: records a batch of ballots of one poll, all recorded in the same minute, in one atomic
-- step (RedisStore.Cast; the contract is Store.Cast, and each ballot is answered as if it had been
-- cast alone, in the batch's order). Every key is under the poll's hash tag {lv:<poll>}, so the
-- script runs on one Redis Cluster node. castGroup.script (store_redis_batch.go) builds KEYS and
-- ARGV; castReply reads each ballot's answer.
--
-- Per ballot the script does only what is per ballot: the voter and challenge checks (one HMGET
-- and one MGET for the whole batch), the challenge's SET and the log's XADD. Everything else is
-- counted in the script and written once per batch: the voters and receipts (one variadic HSET
-- each), the tallies, totals and turnout buckets, and the sources' window counters.
--
-- KEYS: 1 state, 2 voters, 3 receipts, 4 tally, 5 heldtally, 6 ballots, 7 held, 8 minute buckets,
--       9 hour buckets, 10 log (stream), 11 held ballots awaiting review (sorted set, score:
--       accepted at), 12-19 the source counters of the batch's minute and hour (sorted sets:
--       source hash -> ballots): IPs of this minute, of the minute before, subnets of this
--       minute, of the minute before, IPs of this hour, of the hour before, subnets of this hour,
--       of the hour before (the subnet sets also count every ballot under the member "": the
--       total); 20... one per ballot, in order: the key of its challenge (read only when the
--       ballot has a challenge).
-- ARGV: 1 the poll's initial status (a missing state field reads as it), 2 minute bucket, 3 hour
--       bucket, then 18 per ballot (at 3 + 18*(i-1)): +1 voters field (voter|period), +2 receipt,
--       +3 accepted at (Unix ms), +4 "held" or "counted", +5 voter (keyed hash), +6 period,
--       +7 challenge or "", +8 challenge TTL (ms), +9 choices comma-joined, +10 source IP hash or
--       "" (no source), +11 source subnet hash, +12 weight of the minute before, +13 weight of
--       the hour before (the share of the bucket before that is still inside the sliding window),
--       +14..+17 soft caps (IP a minute, IP an hour, subnet a minute, subnet an hour; 0: none),
--       +18 hard cap (IP an hour; 0: none).
-- Returns one answer per ballot: "ok" (counted) or "held", each followed for a ballot with a
-- source by its counts " <IP minute> <IP hour> <subnet minute> <subnet hour>"; or "capped",
-- "closed", "challenge" or "voted".
--
-- The script is idempotent for one receipt: go-redis may send it again after a timeout or a lost
-- connection, and a ballot that was recorded must then read as recorded (ok or held), never as
-- refused (already voted, challenge used, capped or closed since) and never be counted twice.

local H, F, NK = 3, 18, 19
local n = (#ARGV - H) / F
local voters, receipts = KEYS[2], KEYS[3]
local status = redis.call('HGET', KEYS[1], 'status') or ARGV[1]

local fields, ckeys = {}, {}
for i = 1, n do
  local b = H + F * (i - 1)
  fields[i] = ARGV[b + 1]
  if ARGV[b + 7] ~= '' then
    ckeys[#ckeys + 1] = KEYS[NK + i]
  end
end
local prior = redis.call('HMGET', voters, unpack(fields))
local used = {} -- challenge key -> the receipt that used it
if #ckeys > 0 then
  local v = redis.call('MGET', unpack(ckeys))
  for j = 1, #ckeys do
    used[ckeys[j]] = v[j]
  end
end

-- The sources' windows: w = 1 IP minute, 2 IP hour, 3 subnet minute, 4 subnet hour, each with
-- its key of this bucket and of the bucket before; read once per source, counted here.
local cur = {12, 16, 14, 18}
local win = {{}, {}, {}, {}}
local function source(w, member)
  local e = win[w][member]
  if not e then
    e = {cur = tonumber(redis.call('ZSCORE', KEYS[cur[w]], member) or '0'),
      prev = tonumber(redis.call('ZSCORE', KEYS[cur[w] + 1], member) or '0'), inc = 0}
    win[w][member] = e
  end
  return e
end
local function window(e, weight)
  return math.floor(e.cur + e.inc + e.prev * weight)
end

local seen = {} -- voters field -> {receipt, answer word} of this batch's ballots
local vpairs, rpairs, ppairs = {}, {}, {}
local tally, heldtally = {}, {}
local counted, held, sourced = 0, 0, 0

local function cast(i, b, field, receipt)
  local ip, net = ARGV[b + 10], ARGV[b + 11]
  local wmin, whour = tonumber(ARGV[b + 12]), tonumber(ARGV[b + 13])
  local hard = tonumber(ARGV[b + 18])
  if ip ~= '' and hard > 0 and window(source(2, ip), whour) >= hard then
    return 'capped'
  end
  if status ~= 'open' then
    return 'closed'
  end
  if ARGV[b + 7] ~= '' then
    local key = KEYS[NK + i]
    local u = used[key]
    if u and u ~= receipt then
      return 'challenge'
    end
    if not u then
      redis.call('SET', key, receipt, 'PX', ARGV[b + 8])
      used[key] = receipt
    end
  end
  if prior[i] or seen[field] then
    return 'voted'
  end

  local state, counts = ARGV[b + 4], ''
  if ip ~= '' then
    -- count the source in each window, this ballot included; over a soft cap, hold it
    local members, weights, n = {ip, ip, net, net}, {wmin, whour, wmin, whour}, {}
    for w = 1, 4 do
      local e = source(w, members[w])
      e.inc = e.inc + 1
      n[w] = window(e, weights[w])
      local cap = tonumber(ARGV[b + 13 + w])
      if cap > 0 and n[w] > cap then
        state = 'held'
      end
    end
    sourced = sourced + 1
    counts = ' ' .. n[1] .. ' ' .. n[2] .. ' ' .. n[3] .. ' ' .. n[4]
  end

  local at, joined = ARGV[b + 3], ARGV[b + 9]
  local word, t = 'ok', tally
  if state == 'held' then
    word, t = 'held', heldtally
    held = held + 1
    ppairs[#ppairs + 1] = at
    ppairs[#ppairs + 1] = receipt
  else
    counted = counted + 1
  end
  seen[field] = {receipt, word}
  vpairs[#vpairs + 1] = field
  vpairs[#vpairs + 1] = receipt
  rpairs[#rpairs + 1] = receipt
  rpairs[#rpairs + 1] = at .. '|' .. state .. '|' .. joined
  redis.call('XADD', KEYS[10], '*', 'receipt', receipt, 'at', at, 'voter', ARGV[b + 5],
    'period', ARGV[b + 6], 'choices', joined, 'state', state)
  for c in string.gmatch(joined, '[^,]+') do
    t[c] = (t[c] or 0) + 1
  end
  return word .. counts
end

local out = {}
for i = 1, n do
  local b = H + F * (i - 1)
  local field, receipt = ARGV[b + 1], ARGV[b + 2]
  local mine = seen[field]
  if prior[i] == receipt then
    -- a retry of the attempt that recorded this ballot
    local rec = redis.call('HGET', receipts, receipt)
    if rec and string.find(rec, '|held|', 1, true) then
      out[i] = 'held'
    else
      out[i] = 'ok'
    end
  elseif mine and mine[1] == receipt then
    out[i] = mine[2] -- the same attempt twice in one batch
  else
    out[i] = cast(i, b, field, receipt)
  end
end

if #vpairs > 0 then
  redis.call('HSET', voters, unpack(vpairs))
  redis.call('HSET', receipts, unpack(rpairs))
end
for c, k in pairs(tally) do
  redis.call('HINCRBY', KEYS[4], c, k)
end
for c, k in pairs(heldtally) do
  redis.call('HINCRBY', KEYS[5], c, k)
end
if counted > 0 then
  redis.call('INCRBY', KEYS[6], counted)
  redis.call('HINCRBY', KEYS[8], ARGV[2], counted)
  redis.call('HINCRBY', KEYS[9], ARGV[3], counted)
end
if held > 0 then
  redis.call('INCRBY', KEYS[7], held)
  redis.call('ZADD', KEYS[11], unpack(ppairs))
end
for w = 1, 4 do
  for member, e in pairs(win[w]) do
    if e.inc > 0 then
      redis.call('ZINCRBY', KEYS[cur[w]], e.inc, member)
    end
  end
end
if sourced > 0 then
  -- the first ballots of a bucket create its sets: they live for two buckets and a half
  if tonumber(redis.call('ZINCRBY', KEYS[14], sourced, '')) == sourced then
    redis.call('PEXPIRE', KEYS[12], 150000)
    redis.call('PEXPIRE', KEYS[14], 150000)
  end
  if tonumber(redis.call('ZINCRBY', KEYS[18], sourced, '')) == sourced then
    redis.call('PEXPIRE', KEYS[16], 9000000)
    redis.call('PEXPIRE', KEYS[18], 9000000)
  end
end
return out
