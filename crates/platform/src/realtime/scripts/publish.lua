-- Appends an event to its room's backlog and publishes it, atomically, so that every instance
-- hears it with the id the backlog gave it.
-- KEYS[1]: the room's stream   KEYS[2]: the room's floor (id of the newest event trimmed)
-- KEYS[3]: the events channel
-- ARGV[1]: room   ARGV[2]: event JSON   ARGV[3]: retention (ms)   ARGV[4]: most events kept
local retention = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])

-- The newest id about to be trimmed (by count, then by age) becomes the floor: a client whose
-- last event id is below it missed events that are gone.
local floor = nil
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[4])
if excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
  floor = oldest[#oldest][1]
  redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[4])
end
local horizon = (now - retention) .. '-0'
local aged = redis.call('XREVRANGE', KEYS[1], '(' .. horizon, '-', 'COUNT', 1)
if #aged > 0 then
  floor = aged[1][1]
  redis.call('XTRIM', KEYS[1], 'MINID', horizon)
end
if floor then
  redis.call('SET', KEYS[2], floor, 'PX', retention)
else
  redis.call('PEXPIRE', KEYS[2], retention)
end
redis.call('PEXPIRE', KEYS[1], retention)
redis.call('PUBLISH', KEYS[3], ARGV[1] .. '\n' .. id .. '\n' .. ARGV[2])
return id
