/**
 * Releases a mutex key only for its holder. KEYS[1] the lock; ARGV[1] the holder's token.
 * A holder whose lease lapsed and was taken by another must not delete the new holder's lock.
 * Returns 1 when released, 0 when the key was no longer this holder's.
 */
export const releaseLua = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
