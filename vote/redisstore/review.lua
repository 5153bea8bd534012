-- Review: settles held ballots of one poll, each in the same atomic step (Store.Review,
-- Store.Release and Store.Keep; the contracts are vote.Records's). Every key is under the poll's
-- hash tag; reviewArgs (store.go) passes KEYS and ARGV in the order bound below.
-- Returns one answer per receipt: "missing", "notheld", "notpending" (with only_pending), "kept",
-- or the receipt's new record ("<ms>|<state>|<choices>").

local receipts_key, tally_key, heldtally_key, ballots_key, held_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local log_key = KEYS[8] -- KEYS[6] and KEYS[7] (the turnout) are not touched: a void stays received
local pending_key = KEYS[9] -- held ballots awaiting review (sorted set)
local waiting_key, why_key = KEYS[10], KEYS[11] -- the pending ones of them; why each is held
-- the choice counters of the hour of reviewed_at and of the hour before (a kept ballot's choices
-- are added to its hour's held ones, "!|<candidate>" and "!|")
local choices_key, choices_prev_key = KEYS[12], KEYS[13]
local void_key = KEYS[14] -- ballots voided by review
local version_key = KEYS[15] -- the poll's version: moved once when a receipt was settled or kept
-- action: "released", "void" or "keep" (off the pending list, still held); reviewed_at: Unix ms;
-- by: who released ("" an organiser, "system"); only_pending: "1" settles pending ballots only;
-- signal: added to a kept ballot's signals ("" none); then the receipts.
local action, reviewed_at, by, only_pending, signal = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local RECEIPTS = 5

-- keep_choices adds a kept ballot (its record "<ms>|<state>|<choices>") to the held choices of
-- its hour, when that is the hour of reviewed_at or the one before and its counters exist.
local this_hour = math.floor(tonumber(reviewed_at) / 3600000) * 3600
local function keep_choices(rec)
  if not rec then
    return
  end
  local at, joined = string.match(rec, '^(%d+)|%a+|(.*)$')
  local secs = math.floor(tonumber(at) / 1000)
  local key = ({[this_hour] = choices_key, [this_hour - 3600] = choices_prev_key})[secs - secs % 3600]
  if not key or redis.call('EXISTS', key) == 0 then
    return
  end
  redis.call('HINCRBY', key, '!|', 1)
  for c in string.gmatch(joined, '[^,]+') do
    redis.call('HINCRBY', key, '!|' .. c, 1)
  end
end

local function settle(receipt)
  if only_pending == '1' and not redis.call('ZSCORE', waiting_key, receipt) then
    return 'notpending'
  end
  if action == 'keep' then
    redis.call('ZREM', waiting_key, receipt)
    local why = redis.call('HGET', why_key, receipt)
    if why and signal ~= '' then
      redis.call('HSET', why_key, receipt, why .. ',' .. signal)
    end
    keep_choices(redis.call('HGET', receipts_key, receipt))
    return 'kept'
  end
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
  if action == 'released' then
    for _, c in ipairs(choices) do
      redis.call('HINCRBY', tally_key, c, 1)
    end
    redis.call('INCR', ballots_key)
  else
    -- the ballot stays received (the turnout, the public count): a review is sealed
    redis.call('INCR', void_key)
  end
  redis.call('ZREM', pending_key, receipt)
  redis.call('ZREM', waiting_key, receipt)
  redis.call('HDEL', why_key, receipt)
  rec = at .. '|' .. action .. '|' .. joined
  redis.call('HSET', receipts_key, receipt, rec)
  if by ~= '' then
    redis.call('XADD', log_key, '*', 'receipt', receipt, 'at', reviewed_at, 'voter', '',
      'period', '', 'choices', '', 'state', action, 'by', by)
  else
    redis.call('XADD', log_key, '*', 'receipt', receipt, 'at', reviewed_at, 'voter', '',
      'period', '', 'choices', '', 'state', action)
  end
  return rec
end

local out, changed = {}, false
for i = RECEIPTS + 1, #ARGV do
  out[#out + 1] = settle(ARGV[i])
  changed = changed or string.find(out[#out], '|', 1, true) ~= nil or out[#out] == 'kept'
end
if changed then
  redis.call('INCR', version_key)
end
return out
