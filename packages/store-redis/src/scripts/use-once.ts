/**
 * Replay cache, one key. KEYS[1] the key; ARGV: expiresAt ms, now ms, Redis TTL ms.
 * Returns 1 the first time the key is seen before its recorded expiry, 0 while it is remembered.
 * Expiry is compared in the broker's time (`now`, from its Clock), not Redis's: the TTL only
 * frees memory, relative, so clock skew between broker and Redis cannot shorten the window.
 */
export const useOnceLua = `
local seen = redis.call('GET', KEYS[1])
if seen and tonumber(seen) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`
