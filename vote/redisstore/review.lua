-- Review: settles one held ballot of one poll in one atomic step (Store.Review; the contract is
-- vote.Records.Review). Every key is under the poll's hash tag; Store.Review passes KEYS and
-- ARGV in the order bound below.
-- Returns "missing", "notheld", or the receipt's new record ("<ms>|<state>|<choices>").

local receipts_key, tally_key, heldtally_key, ballots_key, held_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local minutes_key, hours_key, log_key = KEYS[6], KEYS[7], KEYS[8]
local pending_key = KEYS[9] -- held ballots awaiting review (sorted set)
local receipt, state, reviewed_at = ARGV[1], ARGV[2], ARGV[3] -- "released" or "void"; Unix ms

local rec = redis.call('HGET', receipts_key, receipt)
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
  redis.call('HINCRBY', heldtally_key, c, -1)
end
redis.call('DECR', held_key)
if state == 'released' then
  for _, c in ipairs(choices) do
    redis.call('HINCRBY', tally_key, c, 1)
  end
  redis.call('INCR', ballots_key)
  local secs = math.floor(tonumber(at) / 1000)
  redis.call('HINCRBY', minutes_key, secs - secs % 60, 1)
  redis.call('HINCRBY', hours_key, secs - secs % 3600, 1)
end
redis.call('ZREM', pending_key, receipt)
rec = at .. '|' .. state .. '|' .. joined
redis.call('HSET', receipts_key, receipt, rec)
redis.call('XADD', log_key, '*', 'receipt', receipt, 'at', reviewed_at, 'voter', '',
  'period', '', 'choices', '', 'state', state)
return rec
