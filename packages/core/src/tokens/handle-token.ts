import { randomUUID } from 'node:crypto'
import { TokenInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { KeyRing } from './key-ring.js'
import { signJwt } from './sign-jwt.js'
import { verifyBrokerJwt } from './verify-jwt.js'

/** The JOSE `typ` of a handle token. Assertions and other JWTs carry other types, so neither can
 * be presented as the other (RFC 8725 3.11, explicit typing). */
export const handleTokenType = 'lanyard-handle+jwt'

export interface HandleTokenClaims {
  readonly handle: string
  readonly generation: number
  readonly jti: string
  readonly issuedAt: Date
  readonly expiresAt: Date
  /** `cnf.jkt` (RFC 9449 6.1): every exchange with the token needs a DPoP proof of this key. */
  readonly jkt?: string
  /** RFC 8693 §4.1 `act` (#17): for a child, its lineage, parent outermost. Set by the broker only. */
  readonly act?: ActClaim
  /** RFC 8693 §4.4 `may_act` (#17): the agents with a live delegation rule to act for this one. */
  readonly mayAct?: readonly string[]
}

/** RFC 8693 §4.1: the acting party, and nested inside it the one before, most recent outermost. */
export interface ActClaim {
  readonly sub: string
  readonly act?: ActClaim
}

/** An `act` claim as read from a token the broker signed: a string `sub`, nested at most 8 deep. */
export function parseActClaim(value: unknown, depth = 0): ActClaim | undefined {
  if (depth > 8 || typeof value !== 'object' || value === null) return undefined
  const { sub, act } = value as { sub?: unknown; act?: unknown }
  if (typeof sub !== 'string') return undefined
  const inner = act === undefined ? undefined : parseActClaim(act, depth + 1)
  return inner === undefined ? { sub } : { sub, act: inner }
}

/** How the agent proved itself, recorded in the token's `auth` claim: its key, or a platform token and the rule it met. */
export type HandleTokenAuth = { readonly method: 'key'; readonly kid: string | undefined } | { readonly method: 'federated'; readonly iss: string; readonly sub: string; readonly rule: string }

export interface MintOptions {
  readonly jkt?: string
  readonly auth?: HandleTokenAuth
  readonly act?: ActClaim
  readonly mayAct?: readonly string[]
}

export interface HandleTokens {
  mint(handle: string, generation: number, options?: MintOptions): Promise<{ token: string; claims: HandleTokenClaims }>
  /** Signature, type, issuer, audience and expiry. Status, generation and revocation are the
   * caller's to check against the store. Throws TokenInvalid with a reason. */
  verify(token: string): Promise<HandleTokenClaims>
}

/** Verified tokens remembered, so an agent's repeated exchanges with one token verify its
 * signature once (an Ed25519 verify was ~15% of an exchange's CPU). Bounded; oldest out first. */
const verifiedCacheSize = 10_000

export function createHandleTokens(deps: { keys: KeyRing; clock: Clock; issuer: string; ttlSeconds: number }): HandleTokens {
  const { keys, clock, issuer, ttlSeconds } = deps
  const kind = { typ: handleTokenType, otherTypeReason: 'not a handle token', algorithms: ['EdDSA'], issuer, audience: issuer, requiredClaims: ['sub', 'exp', 'iat', 'jti', 'gen'] } as const
  // Keyed by the whole token: a token is immutable, so a signature that verified once still
  // does. Expiry is re-checked on every hit; status, generation and revocation are the
  // caller's to check every time, cached or not.
  const verified = new Map<string, HandleTokenClaims>()
  function remember(token: string, claims: HandleTokenClaims): HandleTokenClaims {
    if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value as string)
    verified.set(token, claims)
    return claims
  }
  return {
    async mint(handle, generation, options = {}) {
      const now = clock.now()
      const issuedAt = Math.floor(now.getTime() / 1000)
      const claims: HandleTokenClaims = {
        handle,
        generation,
        jti: randomUUID(),
        issuedAt: new Date(issuedAt * 1000),
        expiresAt: new Date((issuedAt + ttlSeconds) * 1000),
        ...(options.jkt === undefined ? {} : { jkt: options.jkt }),
        ...(options.act === undefined ? {} : { act: options.act }),
        ...(options.mayAct === undefined || options.mayAct.length === 0 ? {} : { mayAct: options.mayAct }),
      }
      const extra: Record<string, unknown> = {}
      if (options.jkt !== undefined) extra.cnf = { jkt: options.jkt }
      if (claims.act !== undefined) extra.act = claims.act
      // One actor: the RFC's object; several: an array of such objects.
      if (claims.mayAct !== undefined) extra.may_act = claims.mayAct.length === 1 ? { sub: claims.mayAct[0] } : claims.mayAct.map((sub) => ({ sub }))
      if (options.auth !== undefined) {
        extra.amr = [options.auth.method === 'federated' ? 'fed' : 'pop']
        extra.auth = options.auth
      }
      const token = await signJwt(
        keys,
        { alg: 'EdDSA', typ: handleTokenType },
        { issuer, subject: handle, audience: issuer, issuedAt: claims.issuedAt, expiresAt: claims.expiresAt, jti: claims.jti },
        { gen: generation, ...extra },
      )
      return { token, claims }
    },
    async verify(token) {
      const hit = verified.get(token)
      if (hit !== undefined) {
        if (hit.expiresAt.getTime() > clock.now().getTime()) return hit
        verified.delete(token)
        throw new TokenInvalid('expired')
      }
      const payload = await verifyBrokerJwt(keys, clock, kind, token)
      if (typeof payload.gen !== 'number' || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') throw new TokenInvalid('claims have the wrong types')
      const cnf = payload.cnf as { jkt?: unknown } | undefined
      if (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || typeof cnf.jkt !== 'string')) throw new TokenInvalid('"cnf" has the wrong shape')
      const act = parseActClaim(payload.act)
      const mayAct = (Array.isArray(payload.may_act) ? payload.may_act : payload.may_act === undefined ? [] : [payload.may_act]).map((m) => parseActClaim(m)?.sub).filter((sub): sub is string => sub !== undefined)
      return remember(token, {
        ...(cnf === undefined ? {} : { jkt: cnf.jkt as string }),
        ...(act === undefined ? {} : { act }),
        ...(mayAct.length === 0 ? {} : { mayAct }),
        handle: payload.sub,
        generation: payload.gen,
        jti: payload.jti,
        issuedAt: new Date((payload.iat ?? 0) * 1000),
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      })
    },
  }
}
