-- Marks a user present in a room from one instance, until ARGV[4] unless refreshed.
-- Returns 1 when the user was present from no other instance (they have just arrived).
-- KEYS[1]: the room's presence set (member `user|instance`, score = expiry in ms)
-- ARGV[1]: user   ARGV[2]: instance   ARGV[3]: now (ms)   ARGV[4]: expiry (ms)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local prefix = ARGV[1] .. '|'
local mine = prefix .. ARGV[2]
local elsewhere = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if member ~= mine and string.sub(member, 1, #prefix) == prefix then
    elsewhere = 1
    break
  end
end
redis.call('ZADD', KEYS[1], ARGV[4], mine)
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1 - elsewhere
