-- Removes a user's presence in a room from one instance. Returns 1 when the user is present
-- from no other instance (they have just left).
-- KEYS[1]: the room's presence set   ARGV[1]: user   ARGV[2]: instance   ARGV[3]: now (ms)
redis.call('ZREM', KEYS[1], ARGV[1] .. '|' .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local prefix = ARGV[1] .. '|'
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, #prefix) == prefix then
    return 0
  end
end
return 1
