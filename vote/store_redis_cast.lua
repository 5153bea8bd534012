-- Cast: records one ballot of one poll in one atomic step (RedisStore.Cast; the contract is
-- Store.Cast). Every key is under the poll's hash tag {lv:<poll>}, so the script runs on one
-- Redis Cluster node. castScriptArgs (store_redis.go) builds KEYS and ARGV; castReply reads the
-- answer.
--
-- KEYS: 1 state, 2 voters, 3 receipts, 4 tally, 5 heldtally, 6 ballots, 7 held, 8 minute buckets,
--       9 hour buckets, 10 log (stream), 11 the challenge's key (read only when ARGV[10] is set),
--       12 held ballots awaiting review (sorted set, score: accepted at),
--       13-20 the ballot's source counters (sorted sets: source hash -> ballots; used only when
--       ARGV[13] is set): IPs of this minute, of the minute before, subnets of this minute, of
--       the minute before, IPs of this hour, of the hour before, subnets of this hour, of the
--       hour before. The subnet sets also count every ballot under the member "" (the total).
-- ARGV: 1 the poll's initial status (a missing state field reads as it), 2 voters field
--       (voter|period), 3 receipt, 4 accepted at (Unix ms), 5 "held" or "counted", 6 minute bucket,
--       7 hour bucket, 8 voter (keyed hash), 9 period, 10 challenge or "", 11 challenge TTL (ms),
--       12 choices comma-joined, 13 source IP hash or "" (no source), 14 source subnet hash,
--       15 weight of the minute before, 16 weight of the hour before (the share of the bucket
--       before that is still inside the sliding window), 17-20 soft caps (IP a minute, IP an
--       hour, subnet a minute, subnet an hour; 0: none), 21 hard cap (IP an hour; 0: none),
--       22... the choices
-- Returns "ok" (counted) or "held", each followed for a ballot with a source by its counts
-- " <IP minute> <IP hour> <subnet minute> <subnet hour>"; or "capped", "closed", "challenge" or
-- "voted".
--
-- The script is idempotent for one receipt: go-redis may send it again after a timeout or a lost
-- connection, and a ballot that was recorded must then read as recorded (ok or held), never as
-- refused (already voted, challenge used, capped or closed since) and never be counted twice.

local voters, receipt = KEYS[2], ARGV[3]
if redis.call('HGET', voters, ARGV[2]) == receipt then
  -- a retry of the attempt that recorded this ballot
  local rec = redis.call('HGET', KEYS[3], receipt)
  if rec and string.find(rec, '|held|', 1, true) then
    return 'held'
  end
  return 'ok'
end

local ip, net = ARGV[13], ARGV[14]
local wmin, whour = tonumber(ARGV[15]), tonumber(ARGV[16])
local function score(key, member)
  return tonumber(redis.call('ZSCORE', key, member) or '0')
end

local hard = tonumber(ARGV[21])
if ip ~= '' and hard > 0 and math.floor(score(KEYS[17], ip) + score(KEYS[18], ip) * whour) >= hard then
  return 'capped'
end

if (redis.call('HGET', KEYS[1], 'status') or ARGV[1]) ~= 'open' then
  return 'closed'
end

if ARGV[10] ~= '' then
  local used = redis.call('GET', KEYS[11])
  if used and used ~= receipt then
    return 'challenge'
  end
  if not used then
    redis.call('SET', KEYS[11], receipt, 'PX', ARGV[11])
  end
end

if redis.call('HEXISTS', voters, ARGV[2]) == 1 then
  return 'voted'
end

local state, counts = ARGV[5], ''
if ip ~= '' then
  -- count the source in each window, this ballot included; over a soft cap, hold it
  local function bump(cur, prev, member, w)
    return math.floor(tonumber(redis.call('ZINCRBY', cur, 1, member)) + score(prev, member) * w)
  end
  local n = {bump(KEYS[13], KEYS[14], ip, wmin), bump(KEYS[17], KEYS[18], ip, whour),
    bump(KEYS[15], KEYS[16], net, wmin), bump(KEYS[19], KEYS[20], net, whour)}
  -- the first ballot of a bucket creates its sets: they live for two buckets and a half
  if redis.call('ZINCRBY', KEYS[15], 1, '') == '1' then
    redis.call('PEXPIRE', KEYS[13], 150000)
    redis.call('PEXPIRE', KEYS[15], 150000)
  end
  if redis.call('ZINCRBY', KEYS[19], 1, '') == '1' then
    redis.call('PEXPIRE', KEYS[17], 9000000)
    redis.call('PEXPIRE', KEYS[19], 9000000)
  end
  for i = 1, 4 do
    local cap = tonumber(ARGV[16 + i])
    if cap > 0 and n[i] > cap then
      state = 'held'
    end
  end
  counts = ' ' .. n[1] .. ' ' .. n[2] .. ' ' .. n[3] .. ' ' .. n[4]
end

local at, joined = ARGV[4], ARGV[12]
redis.call('HSET', voters, ARGV[2], receipt)
redis.call('HSET', KEYS[3], receipt, at .. '|' .. state .. '|' .. joined)
redis.call('XADD', KEYS[10], '*', 'receipt', receipt, 'at', at, 'voter', ARGV[8],
  'period', ARGV[9], 'choices', joined, 'state', state)
if state == 'held' then
  for i = 22, #ARGV do
    redis.call('HINCRBY', KEYS[5], ARGV[i], 1)
  end
  redis.call('INCR', KEYS[7])
  redis.call('ZADD', KEYS[12], at, receipt)
  return 'held' .. counts
end
for i = 22, #ARGV do
  redis.call('HINCRBY', KEYS[4], ARGV[i], 1)
end
redis.call('INCR', KEYS[6])
redis.call('HINCRBY', KEYS[8], ARGV[6], 1)
redis.call('HINCRBY', KEYS[9], ARGV[7], 1)
return 'ok' .. counts
