-- Cast: records a batch of ballots of one poll, all recorded in the same minute, in one atomic
-- step (Store.Cast; the contract is vote.Ballots.Cast, and each ballot is answered as if it had
-- been cast alone, in the batch's order). Every key is under the poll's hash tag {lv:<poll>}, so
-- the script runs on one Redis Cluster node. castArgs (args.go) lays out KEYS and ARGV;
-- castReply reads each ballot's answer.
--
-- Per ballot the script does only what is per ballot: the voter and challenge checks (one HMGET
-- and one MGET for the whole batch), the challenge's SET and the log's XADD. Everything else is
-- counted in the script and written once per batch: the voters and receipts (one variadic HSET
-- each), the tallies, totals and turnout buckets, and the sources' window counters.
--
-- KEYS and ARGV: the layout is castArgs's (args.go), bound to names at the top of the script
-- (a field's number here is its Go constant plus one).
-- Returns one answer per ballot: "ok" (counted) or "held", each followed for a ballot with a
-- source by its counts " <IP minute> <IP hour> <subnet minute> <subnet hour> <group hour>",
-- " 1" when it is held for sharing its source (SHARED), else " 0", and " 1" when it is held as the
-- first of its sources (HOLD_NEW), else " 0"; or "capped", "closed", "challenge" or "voted".
--
-- The script is idempotent for one receipt: go-redis may send it again after a timeout or a lost
-- connection, and a ballot that was recorded must then read as recorded (ok or held), never as
-- refused (already voted, challenge used, capped or closed since) and never be counted twice.

-- KEYS: the poll's keys, the source counters of the batch's minute and hour (sorted sets: source
-- hash -> ballots; the subnet sets also count every ballot under the member "": the total; the
-- groups' by the hour only, in hashes: no report reads the busiest), then one challenge key per
-- ballot (challenge_key).
local state_key, voters_key, receipts_key, tally_key, heldtally_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ballots_key, held_key, minutes_key, hours_key, log_key = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local pending_key = KEYS[11] -- held ballots awaiting review (sorted set, score: accepted at)
local waiting_key = KEYS[12] -- the pending ones of them: held for their source alone (sorted set)
local why_key = KEYS[13] -- held receipt -> "<IP hash>|<subnet hash>|<group hash>|<signals a,b>"
local choices_key = KEYS[14] -- this hour's choice counters: "<source>|<candidate>" -> ballots
-- (source "!": the poll's ballots held for the organiser, "!|" their number; "m<minute>" and
-- "n<minute>": the minute's ballots and those of new sources, "m<minute>|" their number)
local version_key = KEYS[15] -- the poll's version: every change a snapshot shows moves it
local ip_minute_key, ip_minute_prev_key = KEYS[16], KEYS[17]
local net_minute_key, net_minute_prev_key = KEYS[18], KEYS[19]
local ip_hour_key, ip_hour_prev_key = KEYS[20], KEYS[21]
local net_hour_key, net_hour_prev_key = KEYS[22], KEYS[23]
local grp_hour_key, grp_hour_prev_key = KEYS[24], KEYS[25]
local KEYS_HEAD = 25

-- ARGV: the head, then FIELDS arguments per ballot, read with arg(i, FIELD).
local initial_status, minute_bucket, hour_bucket = ARGV[1], ARGV[2], ARGV[3]
-- the choice counters' sources of the minute's arrivals, and the fields of their numbers
local arrived, arrived_new = 'm' .. minute_bucket, 'n' .. minute_bucket
local arrived_total, arrived_new_total = arrived .. '|', arrived_new .. '|'
local ARGS_HEAD, FIELDS = 3, 22
local VOTER_FIELD, RECEIPT, AT, STATE, VOTER, PERIOD = 1, 2, 3, 4, 5, 6
local CHALLENGE, CHALLENGE_TTL, CHOICES, IP, SUBNET = 7, 8, 9, 10, 11
local GROUP = 12 -- the group's hash; "": none
local MINUTE_WEIGHT, HOUR_WEIGHT = 13, 14 -- share of the bucket before still in the sliding window
local IP_MINUTE_CAP, IP_HOUR_CAP, SUBNET_MINUTE_CAP, SUBNET_HOUR_CAP = 15, 16, 17, 18 -- soft; 0: none
local IP_HARD_CAP = 19 -- IP an hour; 0: none
local SIGNALS = 20 -- the caller's verdict's signals (a,b), kept with a held ballot
local SHARED = 21 -- "1": hold (pending) a ballot whose IP, subnet or group has another in the hour
local HOLD_NEW = 22 -- "1": hold for the organiser a ballot that is the first of its IP, subnet and group

local n = (#ARGV - ARGS_HEAD) / FIELDS
local function arg(i, field)
  return ARGV[ARGS_HEAD + FIELDS * (i - 1) + field]
end
local function challenge_key(i)
  return KEYS[KEYS_HEAD + i]
end

local status = redis.call('HGET', state_key, 'status') or initial_status

local fields, ckeys = {}, {}
for i = 1, n do
  fields[i] = arg(i, VOTER_FIELD)
  if arg(i, CHALLENGE) ~= '' then
    ckeys[#ckeys + 1] = challenge_key(i)
  end
end
local prior = redis.call('HMGET', voters_key, unpack(fields))
local used = {} -- challenge key -> the receipt that used it
if #ckeys > 0 then
  local v = redis.call('MGET', unpack(ckeys))
  for j = 1, #ckeys do
    used[ckeys[j]] = v[j]
  end
end

-- The sources' windows: w = 1 IP minute, 2 IP hour, 3 subnet minute, 4 subnet hour, each with
-- its key of this bucket and of the bucket before; read once per source, counted here.
local cur = {ip_minute_key, ip_hour_key, net_minute_key, net_hour_key}
local prev = {ip_minute_prev_key, ip_hour_prev_key, net_minute_prev_key, net_hour_prev_key}
local caps = {IP_MINUTE_CAP, IP_HOUR_CAP, SUBNET_MINUTE_CAP, SUBNET_HOUR_CAP}
local cap_signals = {'ip_minute', 'ip_hour', 'subnet_minute', 'subnet_hour'}
local win = {{}, {}, {}, {}}
local function source(w, member)
  local e = win[w][member]
  if not e then
    e = {cur = tonumber(redis.call('ZSCORE', cur[w], member) or '0'),
      prev = tonumber(redis.call('ZSCORE', prev[w], member) or '0'), inc = 0}
    win[w][member] = e
  end
  return e
end
local function window(e, weight)
  return math.floor(e.cur + e.inc + e.prev * weight)
end

-- The groups' hour: every group of the batch read at once (one HMGET per bucket), written at
-- once (one HSET of the new counts) after the batch.
local groups = {} -- group hash -> {cur, prev, inc} like a window's
do
  local members = {}
  for i = 1, n do
    local g = arg(i, GROUP)
    if g ~= '' and not groups[g] then
      groups[g] = true
      members[#members + 1] = g
    end
  end
  if #members > 0 then
    local c = redis.call('HMGET', grp_hour_key, unpack(members))
    local p = redis.call('HMGET', grp_hour_prev_key, unpack(members))
    for j, g in ipairs(members) do
      groups[g] = {cur = tonumber(c[j] or '0'), prev = tonumber(p[j] or '0'), inc = 0}
    end
  end
end

local seen = {} -- voters field -> {receipt, answer word} of this batch's ballots
local vpairs, rpairs, ppairs, wpairs, whypairs = {}, {}, {}, {}, {}
local tally, heldtally, choices = {}, {}, {}
local counted, held, sourced = 0, 0, 0

local function cast(i, field, receipt)
  local ip, net, grp = arg(i, IP), arg(i, SUBNET), arg(i, GROUP)
  local wmin, whour = tonumber(arg(i, MINUTE_WEIGHT)), tonumber(arg(i, HOUR_WEIGHT))
  local hard = tonumber(arg(i, IP_HARD_CAP))
  if ip ~= '' and hard > 0 and window(source(2, ip), whour) >= hard then
    return 'capped'
  end
  if status ~= 'open' then
    return 'closed'
  end
  if arg(i, CHALLENGE) ~= '' then
    local key = challenge_key(i)
    local u = used[key]
    if u and u ~= receipt then
      return 'challenge'
    end
    if not u then
      redis.call('SET', key, receipt, 'PX', arg(i, CHALLENGE_TTL))
      used[key] = receipt
    end
  end
  if prior[i] or seen[field] then
    return 'voted'
  end

  local state, counts, signals = arg(i, STATE), '', arg(i, SIGNALS)
  local at, joined = arg(i, AT), arg(i, CHOICES)
  local chosen = {} -- the choices, split once
  for c in string.gmatch(joined, '[^,]+') do
    chosen[#chosen + 1] = c
  end
  local pends = false
  if ip ~= '' then
    -- count the source in each window, this ballot included; over a soft cap, hold it (pending)
    local members, weights, n = {ip, ip, net, net}, {wmin, whour, wmin, whour}, {}
    for w = 1, 4 do
      local e = source(w, members[w])
      e.inc = e.inc + 1
      n[w] = window(e, weights[w])
      local cap = tonumber(arg(i, caps[w]))
      if cap > 0 and n[w] > cap then
        pends = true
        signals = signals .. ',' .. cap_signals[w]
      end
    end
    -- the group, by the hour: no cap, only the choice test
    local members, ngrp = {ip, net, ''}, 0
    if grp ~= '' then
      local e = groups[grp]
      e.inc = e.inc + 1
      ngrp = window(e, whour)
      members[4] = grp
    end
    -- a network new to the poll (the first of its IP, subnet and group in the hour) while the
    -- organiser holds them: held for the organiser, like one held by the caller's verdict
    local fresh = n[2] <= 1 and n[4] <= 1 and ngrp <= 1
    local held_new = arg(i, HOLD_NEW) == '1' and fresh and state ~= 'held'
    if held_new then
      state = 'held'
      signals = signals .. ',new_network'
    end
    -- the choice test's counters: choices of the IP, the subnet, the poll ("") and the group;
    -- their ballots are the hour's source counts
    if state == 'held' then
      -- held by the caller's verdict: not in the rest of the poll the test compares with
      members[#members + 1] = '!'
      choices['!|'] = (choices['!|'] or 0) + 1
    end
    -- the minute's arrivals (Store.Arrivals): every ballot with a source, and the first of its
    -- address, subnet and group in the hour; counted with the choice counters, in the same loop
    members[#members + 1] = arrived
    choices[arrived_total] = (choices[arrived_total] or 0) + 1
    if fresh then
      members[#members + 1] = arrived_new
      choices[arrived_new_total] = (choices[arrived_new_total] or 0) + 1
    end
    for _, c in ipairs(chosen) do
      for _, m in ipairs(members) do
        local f = m .. '|' .. c
        choices[f] = (choices[f] or 0) + 1
      end
    end
    local shared = arg(i, SHARED) == '1' and (n[2] > 1 or n[4] > 1 or ngrp > 1)
    if shared then
      pends = true
      signals = signals .. ',shared_source'
    end
    sourced = sourced + 1
    counts = ' ' .. n[1] .. ' ' .. n[2] .. ' ' .. n[3] .. ' ' .. n[4] .. ' ' .. ngrp .. (shared and ' 1' or ' 0') ..
      (held_new and ' 1' or ' 0')
  end
  if pends and state ~= 'held' then
    state = 'held'
    wpairs[#wpairs + 1] = at
    wpairs[#wpairs + 1] = receipt
  end

  local word, t = 'ok', tally
  if state == 'held' then
    word, t = 'held', heldtally
    held = held + 1
    ppairs[#ppairs + 1] = at
    ppairs[#ppairs + 1] = receipt
    whypairs[#whypairs + 1] = receipt
    whypairs[#whypairs + 1] = ip .. '|' .. net .. '|' .. grp .. '|' .. signals
  else
    counted = counted + 1
  end
  seen[field] = {receipt, word}
  vpairs[#vpairs + 1] = field
  vpairs[#vpairs + 1] = receipt
  rpairs[#rpairs + 1] = receipt
  rpairs[#rpairs + 1] = at .. '|' .. state .. '|' .. joined
  redis.call('XADD', log_key, '*', 'receipt', receipt, 'at', at, 'voter', arg(i, VOTER),
    'period', arg(i, PERIOD), 'choices', joined, 'state', state)
  for _, c in ipairs(chosen) do
    t[c] = (t[c] or 0) + 1
  end
  return word .. counts
end

local out = {}
for i = 1, n do
  local field, receipt = arg(i, VOTER_FIELD), arg(i, RECEIPT)
  local mine = seen[field]
  if prior[i] == receipt then
    -- a retry of the attempt that recorded this ballot
    local rec = redis.call('HGET', receipts_key, receipt)
    if rec and string.find(rec, '|held|', 1, true) then
      out[i] = 'held'
    else
      out[i] = 'ok'
    end
  elseif mine and mine[1] == receipt then
    out[i] = mine[2] -- the same attempt twice in one batch
  else
    out[i] = cast(i, field, receipt)
  end
end

if #vpairs > 0 then
  redis.call('HSET', voters_key, unpack(vpairs))
  redis.call('HSET', receipts_key, unpack(rpairs))
end
for c, k in pairs(tally) do
  redis.call('HINCRBY', tally_key, c, k)
end
for c, k in pairs(heldtally) do
  redis.call('HINCRBY', heldtally_key, c, k)
end
if counted > 0 then
  redis.call('INCRBY', ballots_key, counted)
end
if counted + held > 0 then
  -- the turnout counts every ballot received, held or not (the public numbers are no oracle)
  redis.call('HINCRBY', minutes_key, minute_bucket, counted + held)
  redis.call('HINCRBY', hours_key, hour_bucket, counted + held)
  redis.call('INCR', version_key)
end
if held > 0 then
  redis.call('INCRBY', held_key, held)
  redis.call('ZADD', pending_key, unpack(ppairs))
  redis.call('HSET', why_key, unpack(whypairs))
  if #wpairs > 0 then
    redis.call('ZADD', waiting_key, unpack(wpairs))
  end
end
-- one HINCRBY a field: one HMGET and one HSET for the batch measured the same (BENCHMARKS.md,
-- "Performance 3")
local fresh = false
for f, k in pairs(choices) do
  fresh = tonumber(redis.call('HINCRBY', choices_key, f, k)) == k or fresh
end
if fresh then
  redis.call('PEXPIRE', choices_key, 9000000) -- a new field: the hash lives two hours and a half
end
-- The sources' windows: one ZADD per window for the whole batch, of the new counts (the script
-- read them and runs alone), not a ZINCRBY per source: from Lua a command costs Redis more than
-- the member it writes, and a batch of the public's ballots has a new address and subnet in each
-- (BENCHMARKS.md: 4-6 us a ballot less when every ballot comes from a new source).
for w = 1, 4 do
  local zpairs = {}
  for member, e in pairs(win[w]) do
    if e.inc > 0 then
      zpairs[#zpairs + 1] = e.cur + e.inc
      zpairs[#zpairs + 1] = member
    end
  end
  for j = 1, #zpairs, 1000 do
    redis.call('ZADD', cur[w], unpack(zpairs, j, math.min(j + 999, #zpairs)))
  end
end
-- the groups' new counts; a new group (re)sets the hash's life, two hours and a half
local counts, fresh_group = {}, false
for g, e in pairs(groups) do
  if e.inc > 0 then
    counts[#counts + 1] = g
    counts[#counts + 1] = e.cur + e.inc
    fresh_group = fresh_group or e.cur == 0
  end
end
if #counts > 0 then
  redis.call('HSET', grp_hour_key, unpack(counts))
  if fresh_group then
    redis.call('PEXPIRE', grp_hour_key, 9000000)
  end
end
if sourced > 0 then
  -- the first ballots of a bucket create its sets: they live for two buckets and a half
  if tonumber(redis.call('ZINCRBY', net_minute_key, sourced, '')) == sourced then
    redis.call('PEXPIRE', ip_minute_key, 150000)
    redis.call('PEXPIRE', net_minute_key, 150000)
  end
  if tonumber(redis.call('ZINCRBY', net_hour_key, sourced, '')) == sourced then
    redis.call('PEXPIRE', ip_hour_key, 9000000)
    redis.call('PEXPIRE', net_hour_key, 9000000)
  end
end
return out
