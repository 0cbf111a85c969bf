/**
 * The one write path of the Redis store: compare, then commit, atomically (an etcd-style
 * transaction). KEYS are every key touched, all under one agent's hash tag (one slot).
 * ARGV[1] is JSON `{ "guards": [[keyIndex, field, expected]], "ops": [[command, keyIndex, ...args]] }`:
 * each guard compares a string key (`field` "") or a hash field with the value the caller read
 * (`false`: absent); if any differs nothing is written and the guard's number is returned, so
 * Node re-reads and decides again. Otherwise every op runs and 0 is returned.
 *
 * Why Node decides and Lua only compares: an audit event's hash is SHA-256 over canonical JSON
 * (core's `sealAuditEvent`), which Lua cannot compute, so every audited write is sealed in Node
 * against the chain head it read and committed only if that head is still current. The head
 * moves on every audited write of the agent, so guarding it also guards everything else the
 * caller read about that agent: one version per agent, like a row version. The price is a read
 * round trip per write and retries under contention on one agent (bounded, see transaction.ts).
 * Commands are limited to the few the store needs, so the script cannot become a general
 * write gadget.
 */
export const commitLua = `
local txn = cjson.decode(ARGV[1])
for i, guard in ipairs(txn.guards) do
  local actual
  if guard[2] == '' then
    actual = redis.call('GET', KEYS[guard[1]])
  else
    actual = redis.call('HGET', KEYS[guard[1]], guard[2])
  end
  if actual ~= guard[3] then return i end
end
local allowed = { SET = true, HSET = true, HDEL = true, RPUSH = true, ZADD = true, ZREM = true, ZREMRANGEBYSCORE = true, SADD = true, SREM = true }
for _, op in ipairs(txn.ops) do
  if not allowed[op[1]] then return redis.error_reply('ERR lanyard commit: command not allowed') end
end
for _, op in ipairs(txn.ops) do
  redis.call(op[1], KEYS[op[2]], unpack(op, 3))
end
return 0
`
