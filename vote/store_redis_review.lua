-- Review: settles one held ballot of one poll in one atomic step (RedisStore.Review; the contract
-- is Store.Review). Every key is under the poll's hash tag.
--
-- KEYS: 1 receipts, 2 tally, 3 heldtally, 4 ballots, 5 held, 6 minute buckets, 7 hour buckets,
--       8 log (stream), 9 held ballots awaiting review (sorted set)
-- ARGV: 1 receipt, 2 "released" or "void", 3 reviewed at (Unix ms)
-- Returns "missing", "notheld", or the receipt's new record ("<ms>|<state>|<choices>").

local receipt, state = ARGV[1], ARGV[2]
local rec = redis.call('HGET', KEYS[1], receipt)
if not rec then
  return 'missing'
end
local at, old, joined = string.match(rec, '^(%d+)|(%a+)|(.*)$')
if old ~= 'held' then
  return 'notheld'
end

local choices = {}
for c in string.gmatch(joined, '[^,]+') do
  choices[#choices + 1] = c
end
for _, c in ipairs(choices) do
  redis.call('HINCRBY', KEYS[3], c, -1)
end
redis.call('DECR', KEYS[5])
if state == 'released' then
  for _, c in ipairs(choices) do
    redis.call('HINCRBY', KEYS[2], c, 1)
  end
  redis.call('INCR', KEYS[4])
  local secs = math.floor(tonumber(at) / 1000)
  redis.call('HINCRBY', KEYS[6], secs - secs % 60, 1)
  redis.call('HINCRBY', KEYS[7], secs - secs % 3600, 1)
end
redis.call('ZREM', KEYS[9], receipt)
rec = at .. '|' .. state .. '|' .. joined
redis.call('HSET', KEYS[1], receipt, rec)
redis.call('XADD', KEYS[8], '*', 'receipt', receipt, 'at', ARGV[3], 'voter', '',
  'period', '', 'choices', '', 'state', state)
return rec
