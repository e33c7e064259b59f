-- The events of a room after a client's last event id, or 'resync' when some are gone.
-- KEYS[1]: the room's stream   KEYS[2]: the room's floor
-- ARGV[1]: last event id (`ms-seq`)   ARGV[2]: retention (ms)
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ms, seq = parse(ARGV[1])
-- Older than the retention: whatever followed it may have aged out (or the room's backlog
-- expired whole), so the client cannot be told what it missed.
if ms < now - tonumber(ARGV[2]) then
  return {'resync'}
end
local floor = redis.call('GET', KEYS[2])
if floor then
  local floor_ms, floor_seq = parse(floor)
  if ms < floor_ms or (ms == floor_ms and seq < floor_seq) then
    return {'resync'}
  end
end
return {'events', redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')}
