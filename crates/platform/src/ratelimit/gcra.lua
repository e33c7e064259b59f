-- GCRA (generic cell rate algorithm) for one key, in one atomic step.
--
-- The key holds the theoretical arrival time (TAT): the moment the budget would be full again,
-- in microseconds of Redis' own clock (so instances whose clocks disagree still agree here).
-- A request is allowed when, after adding one interval to the TAT, the TAT is at most
-- `limit` intervals ahead of now. The key expires when the TAT passes: a full budget needs no
-- state.
--
-- KEYS[1]  the key
-- ARGV[1]  the emission interval in microseconds (period / limit)
-- ARGV[2]  the limit (the burst: how many requests may come at once)
-- Returns  {allowed (1 or 0), remaining, reset (µs until the budget is full), retry_after (µs)}

local interval = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local capacity = interval * limit

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then
  tat = now
end
local next_tat = tat + interval
local over = next_tat - now - capacity
if over > 0 then
  return {0, 0, tat - now, over}
end

local ttl_ms = math.ceil((next_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', string.format('%.0f', ttl_ms))
return {1, math.floor((capacity - (next_tat - now)) / interval), next_tat - now, 0}
