-- Cast: records one ballot of one poll in one atomic step (RedisStore.Cast; the contract is
-- Store.Cast). Every key is under the poll's hash tag {lv:<poll>}, so the script runs on one
-- Redis Cluster node.
--
-- KEYS: 1 state, 2 voters, 3 receipts, 4 tally, 5 heldtally, 6 ballots, 7 held, 8 minute buckets,
--       9 hour buckets, 10 log (stream), 11 the challenge's key (read only when ARGV[10] is set),
--       12 held ballots awaiting review (sorted set, score: accepted at)
-- ARGV: 1 the poll's initial status (a missing state field reads as it), 2 voters field
--       (voter|period), 3 receipt, 4 accepted at (Unix ms), 5 "held" or "counted", 6 minute bucket,
--       7 hour bucket, 8 voter (keyed hash), 9 period, 10 challenge or "", 11 challenge TTL (ms),
--       12 choices comma-joined, 13... the choices
-- Returns "ok", "closed", "challenge" or "voted".
--
-- The script is idempotent for one receipt: go-redis may send it again after a timeout or a lost
-- connection, and a ballot that was recorded must then read as recorded (ok), never as refused
-- (already voted, challenge used, or closed since) and never be counted twice.

local voters, receipt = KEYS[2], ARGV[3]
if redis.call('HGET', voters, ARGV[2]) == receipt then
  return 'ok' -- a retry of the attempt that recorded this ballot
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

local at, state, joined = ARGV[4], ARGV[5], ARGV[12]
redis.call('HSET', voters, ARGV[2], receipt)
redis.call('HSET', KEYS[3], receipt, at .. '|' .. state .. '|' .. joined)
redis.call('XADD', KEYS[10], '*', 'receipt', receipt, 'at', at, 'voter', ARGV[8],
  'period', ARGV[9], 'choices', joined, 'state', state)
if state == 'held' then
  for i = 13, #ARGV do
    redis.call('HINCRBY', KEYS[5], ARGV[i], 1)
  end
  redis.call('INCR', KEYS[7])
  redis.call('ZADD', KEYS[12], at, receipt)
  return 'ok'
end
for i = 13, #ARGV do
  redis.call('HINCRBY', KEYS[4], ARGV[i], 1)
end
redis.call('INCR', KEYS[6])
redis.call('HINCRBY', KEYS[8], ARGV[6], 1)
redis.call('HINCRBY', KEYS[9], ARGV[7], 1)
return 'ok'
