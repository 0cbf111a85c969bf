/**
 * GCRA (generic cell rate algorithm, as in ATM traffic shaping and redis-cell), one key, atomic.
 * KEYS[1] the key; ARGV: now ms, emission interval ms (1000 / rate), burst.
 * The key holds the theoretical arrival time (TAT). A request is allowed when
 * max(TAT, now) + interval - burst * interval <= now; then TAT moves on by one interval.
 * Returns { allowed (1|0), wait ms as a string }. The key outlives its TAT by a second: a TAT in
 * the past means the same as none, and the slack keeps Redis's clock (which runs the TTL) from
 * racing the broker's (which the decision uses). Mirrors `gcra()` in @lanyard/core's
 * ports/rate-limiter.ts (the in-memory limiter); the tests hold both to the same answers.
 */
export const gcraLua = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - burst * interval
if allow_at > now then return { 0, string.format('%.3f', allow_at - now) } end
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return { 1, '0' }
`
