import { sha256Lua } from './sha256.js'

/**
 * The one write path of the Redis store: compare, then commit, atomically (an etcd-style
 * transaction). KEYS are every key touched, all under one agent's hash tag (one slot).
 * ARGV[1] is JSON `{ "guards": [[keyIndex, field, expected]], "ops": [[command, keyIndex, ...args]] }`.
 *
 * Guards: (1) `field` "" compares a string key, any other field a hash field, with the value the
 * caller read (`false`: absent); (2) `field` "#active" requires the agent record at that key to
 * be `active` with generation `expected`; (3) `field` "#binding" requires the bindings hash at
 * that key to hold, under field `expected`, a binding with id `bindingId` (the guard's fourth
 * element) that is not `revoked`: a grant begins only under the binding it was checked against,
 * so a binding revoke or replace that commits first refuses it. If any fails nothing is written and the guard's
 * number is returned, so Node re-reads and decides (or refuses). Otherwise every op runs and
 * `{0, heads, tasks}` is returned: the new chain head of each AUDIT op, in order, and the tasks
 * TASKS added.
 *
 * AUDIT `[headKey, auditKey, expectedHead, sealedJson, sealedHead, before, between, after]`
 * appends one audit event and moves the chain head, and never fails on a moved head:
 * (1) the head is still `expectedHead`, the one Node sealed `sealedJson` against (its hash is
 *     SHA-256 over canonical JSON, computed in Node): appended as is;
 * (2) another write moved it: the event is sealed here, on the actual head. `before`,
 *     `between` and `after` are its canonical JSON cut at the values of `prevHash` and `seq`,
 *     so the body is `before .. prevHash .. between .. seq .. after`, hashed with SHA-256 in
 *     Lua, stored with its `hash`. Equal bytes, equal hash: verification cannot tell (1) from (2).
 * So an audited write of one agent commits in one step whatever the agent's other traffic: a
 * revoke never loses a race to the exchanges it cuts.
 *
 * TASKS `[openKey, grantsKey, tasksKey, revocationsKey, afterMs, seen, system, revocationId,
 * runningJson, before, between, after]` gives a revocation's task to every grant that became
 * open after Node read the agent's open grants: members of the open set scored past `afterMs`
 * that are not in `seen` (JSON array of the ids Node decided for), and, when `system` is
 * not "", on that system (a binding revocation's scope is (handle, system), whichever binding
 * version issued the grant). A task is `before .. grantId .. between .. system .. after` (JSON
 * strings). If Node recorded the revocation `done` (`runningJson` not "") and any is added,
 * the record becomes `runningJson`. The tasks added are returned, for the caller's answer.
 *
 * Commands are limited to the few the store needs, so the script cannot become a general
 * write gadget.
 */
export const commitLua = `${sha256Lua}
local txn = cjson.decode(ARGV[1])
for i, guard in ipairs(txn.guards) do
  if guard[2] == '#active' then
    local raw = redis.call('GET', KEYS[guard[1]])
    if not raw then return i end
    local agent = cjson.decode(raw)
    if agent.status ~= 'active' or agent.generation ~= guard[3] then return i end
  elseif guard[2] == '#binding' then
    local raw = redis.call('HGET', KEYS[guard[1]], guard[3])
    if not raw then return i end
    local binding = cjson.decode(raw)
    if binding.status == 'revoked' or binding.id ~= guard[4] then return i end
  else
    local actual
    if guard[2] == '' then
      actual = redis.call('GET', KEYS[guard[1]])
    else
      actual = redis.call('HGET', KEYS[guard[1]], guard[2])
    end
    if actual ~= guard[3] then return i end
  end
end
local allowed = { SET = true, HSET = true, HDEL = true, RPUSH = true, ZADD = true, ZREM = true, ZREMRANGEBYSCORE = true, SADD = true, SREM = true, AUDIT = true, TASKS = true }
for _, op in ipairs(txn.ops) do
  if not allowed[op[1]] then return redis.error_reply('ERR lanyard commit: command not allowed') end
end
local heads, late = {}, {}
for _, op in ipairs(txn.ops) do
  if op[1] == 'TASKS' then
    local seen = {}
    for _, id in ipairs(cjson.decode(op[7])) do seen[id] = true end
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[op[2]], '(' .. op[6], '+inf')) do
      if not seen[id] then
        local raw = redis.call('HGET', KEYS[op[3]], id)
        if raw then
          local grant = cjson.decode(raw)
          if op[8] == '' or grant.system == op[8] then
            local task = op[11] .. cjson.encode(id) .. op[12] .. cjson.encode(grant.system) .. op[13]
            redis.call('HSET', KEYS[op[4]], id, task)
            late[#late + 1] = task
          end
        end
      end
    end
    if #late > 0 and op[10] ~= '' then redis.call('HSET', KEYS[op[5]], op[9], op[10]) end
  elseif op[1] == 'AUDIT' then
    local head = redis.call('GET', KEYS[op[2]])
    local stored, moved
    if op[4] ~= false and head == op[4] then
      stored, moved = op[5], op[6]
    else
      local seq, prev = 1, '${'0'.repeat(64)}'
      if head then
        local colon = string.find(head, ':', 1, true)
        seq = tonumber(string.sub(head, 1, colon - 1)) + 1
        prev = string.sub(head, colon + 1)
      end
      local body = op[7] .. prev .. op[8] .. string.format('%d', seq) .. op[9]
      local hash = sha256(body)
      stored = string.sub(body, 1, -2) .. ',"hash":"' .. hash .. '"}'
      moved = string.format('%d', seq) .. ':' .. hash
    end
    redis.call('RPUSH', KEYS[op[3]], stored)
    redis.call('SET', KEYS[op[2]], moved)
    heads[#heads + 1] = moved
  else
    redis.call(op[1], KEYS[op[2]], unpack(op, 3))
  end
end
return { 0, heads, late }
`
