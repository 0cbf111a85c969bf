import { decodeJwt, decodeProtectedHeader, errors as joseErrors, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { AgentNotActive, AgentNotFound, AssertionInvalid, AssertionReplayed, isLanyardError } from '../errors.js'
import { parseHandle } from '../agents/handle.js'
import type { Clock } from '../ports/clock.js'
import type { Store } from '../ports/store.js'
import type { AgentReader } from '../agents/agent-reader.js'
import { handleTokenType, type HandleTokens } from '../tokens/handle-token.js'

/** Assertions are one-shot proofs: RFC 7523 leaves the bound to us; five minutes keeps the
 * replay cache small and still tolerates a slow CI runner. */
export const maxAssertionLifetimeSeconds = 300
/** Clock skew accepted between agent and broker. */
export const clockToleranceSeconds = 30

const acceptedAlgorithms = ['EdDSA', 'ES256']

export interface Authenticated {
  readonly token: string
  readonly handle: string
  readonly expiresAt: Date
}

/**
 * RFC 7523 jwt-bearer: verifies an assertion signed by one of the agent's registered keys and
 * mints a handle token. Every refusal is AssertionInvalid (invalid_grant) with a reason, except
 * a reused `jti` (AssertionReplayed) and an agent that is not active (AgentNotActive).
 */
export async function authenticate(
  deps: { store: Store; agents: AgentReader; tokens: HandleTokens; clock: Clock; issuer: string; limit: (handle: string) => Promise<void> },
  assertion: string,
): Promise<Authenticated> {
  const { store, agents, tokens, clock, issuer } = deps
  let header: ReturnType<typeof decodeProtectedHeader>
  let unverified: JWTPayload
  try {
    header = decodeProtectedHeader(assertion)
    unverified = decodeJwt(assertion)
  } catch {
    throw new AssertionInvalid('not a signed JWT')
  }
  // (1) Algorithm allow-list before anything else: `none` and HMAC never reach a key.
  if (typeof header.alg !== 'string' || !acceptedAlgorithms.includes(header.alg)) throw new AssertionInvalid(`algorithm "${String(header.alg)}" is not accepted; use EdDSA or ES256`)
  // (2) A handle token is not an assertion, whoever signed it.
  if (header.typ === handleTokenType) throw new AssertionInvalid('a handle token cannot be used as an assertion')
  // (3) Whose assertion is it? iss = sub = handle (RFC 7523 3).
  let handle: string
  try {
    handle = parseHandle(unverified.sub)
  } catch {
    throw new AssertionInvalid('"sub" must be the agent handle')
  }
  if (unverified.iss !== handle) throw new AssertionInvalid('"iss" must equal "sub"')
  // RFC 7523bis: `aud` is exactly the issuer; an array (even one naming it) is refused.
  if (typeof unverified.aud !== 'string') throw new AssertionInvalid('"aud" must be the issuer identifier as a single string')
  // (3b) One answer, one timing class, for an unknown handle, an unknown kid and a bad
  // signature: the caller is not authenticated yet, so it learns nothing of which handles exist.
  // Without a candidate key, the assertion is checked against a dummy key of its algorithm.
  const agent = await agents.fresh(handle)
  const keys = (await store.listKeys(handle)).filter((k) => agent !== undefined && k.alg === header.alg && (header.kid === undefined || k.kid === header.kid))
  if (agent === undefined || keys.length === 0) {
    await jwtVerify(assertion, await dummyKey(header.alg), { algorithms: [header.alg] }).catch(() => undefined)
    throw new AssertionInvalid(unverifiable, { detail: agent === undefined ? 'unknown agent' : 'no registered key matches alg and kid', ...(agent === undefined ? { cause: new AgentNotFound(handle) } : {}) })
  }
  // (4) Signature and claims against each candidate key (one, when kid is given).
  let payload: JWTPayload | undefined
  let lastError: unknown
  for (const key of keys) {
    try {
      const verified = await jwtVerify(assertion, await importJWK(key.jwk as JWK, key.alg), {
        algorithms: [key.alg],
        issuer: handle,
        subject: handle,
        audience: issuer,
        currentDate: clock.now(),
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'jti'],
      })
      payload = verified.payload
      break
    } catch (error) {
      lastError = error
    }
  }
  if (payload === undefined) throw new AssertionInvalid(reasonOf(lastError))
  const now = clock.now().getTime() / 1000
  const exp = payload.exp as number
  if (exp - now > maxAssertionLifetimeSeconds + clockToleranceSeconds) throw new AssertionInvalid(`"exp" is more than ${maxAssertionLifetimeSeconds} s ahead`)
  if (typeof payload.iat === 'number' && payload.iat - now > clockToleranceSeconds) throw new AssertionInvalid('"iat" is in the future')
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw new AssertionInvalid('"jti" must be a string of 1-256 characters')
  // (5) Status after the signature: an unauthenticated caller learns nothing of it.
  if (agent.status !== 'active') throw new AgentNotActive(handle, agent.status)
  // (6) Rate: counted only for assertions that verified, so nobody can exhaust an agent's budget.
  await deps.limit(handle)
  // (7) One use per jti, remembered until the assertion could no longer be accepted anyway.
  const first = await store.useOnce(`assertion:${handle}:${payload.jti}`, new Date((exp + clockToleranceSeconds) * 1000), clock.now())
  if (!first) throw new AssertionReplayed()
  const minted = await tokens.mint(handle, agent.generation)
  return { token: minted.token, handle, expiresAt: minted.claims.expiresAt }
}

/** The one answer to an assertion no registered key of its handle verifies. */
const unverifiable = 'signature does not verify'

const dummyKeys = new Map<string, Promise<CryptoKey>>()
/** A key nobody holds, per algorithm, made once: the unknown-handle path verifies against it. */
function dummyKey(alg: string): Promise<CryptoKey> {
  let key = dummyKeys.get(alg)
  if (key === undefined) {
    key = generateKeyPair(alg).then((pair) => pair.publicKey)
    dummyKeys.set(alg, key)
  }
  return key
}

function reasonOf(error: unknown): string {
  if (isLanyardError(error)) return error.message
  if (error instanceof joseErrors.JWTExpired) return 'expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) return error.claim === 'nbf' ? 'not yet valid' : `claim "${error.claim}" is invalid`
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return unverifiable
  return 'signature or format is invalid'
}
