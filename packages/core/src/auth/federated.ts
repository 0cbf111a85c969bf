import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { AssertionInvalid, isLanyardError } from '../errors.js'
import { matchesTrustRule, type TrustRule } from './trust-rule.js'

/** One configured platform issuer (`federation.issuers[]`). */
export interface FederationIssuer {
  /** Compared with `iss` exactly: no prefix, no case folding, no trailing-slash repair. */
  readonly issuer: string
  /** `aud` values the broker accepts from this issuer; a rule's audience must be one of them. */
  readonly audiences: readonly string[]
  readonly allowedAlgs: readonly string[]
}

/**
 * Port: the signing keys of configured issuers. The broker implements it with jose's remote
 * JWKS (discovery, caching, cooldown, timeout); core does no I/O. The returned function throws
 * IssuerUnavailable when the keys cannot be had and none are cached any more.
 */
export interface IssuerKeys {
  keysOf(issuer: FederationIssuer): JWTVerifyGetKey
}

/** Clock skew accepted on platform tokens' `exp`, `nbf` and `iat`. */
const clockToleranceSeconds = 30

export interface FederatedMatch {
  readonly rule: TrustRule
  readonly payload: JWTPayload & { sub: string; iss: string }
}

/**
 * Verifies a platform token of a configured issuer and finds the trust rule it meets.
 *
 * (1) Algorithm in the issuer's allow-list before any key is fetched. (2) Signature against the
 * issuer's keys; `iss` exact, `aud` one of the issuer's audiences, `exp` required, `nbf` and
 * `iat` not in the future. (3) The rules of that issuer, optionally only those of
 * `requestedHandle`; the token must meet at least one, and all that it meets must belong to one
 * agent, or the caller must say which (`client_id`). Rules are compared in creation order, so
 * the rule reported is stable.
 */
export async function verifyFederated(
  deps: { keys: IssuerKeys; rules: (issuer: string) => Promise<readonly TrustRule[]>; now: Date },
  issuer: FederationIssuer,
  assertion: string,
  alg: string,
  requestedHandle: string | undefined,
): Promise<FederatedMatch> {
  if (!issuer.allowedAlgs.includes(alg)) throw new AssertionInvalid(`algorithm "${alg}" is not accepted for this issuer`)
  let payload: JWTPayload
  try {
    payload = (
      await jwtVerify(assertion, deps.keys.keysOf(issuer), {
        algorithms: [...issuer.allowedAlgs],
        issuer: issuer.issuer,
        audience: [...issuer.audiences],
        currentDate: deps.now,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      })
    ).payload
  } catch (error) {
    if (isLanyardError(error) && error.code === 'ERR_ISSUER_UNAVAILABLE') throw error
    throw new AssertionInvalid(reasonOf(error))
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AssertionInvalid('"sub" must be a non-empty string')
  if (typeof payload.iat === 'number' && payload.iat - deps.now.getTime() / 1000 > clockToleranceSeconds) throw new AssertionInvalid('"iat" is in the future')
  const verified = payload as FederatedMatch['payload']
  const rules = [...(await deps.rules(issuer.issuer))]
    .filter((rule) => requestedHandle === undefined || rule.handle === requestedHandle)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
  const met = rules.filter((rule) => matchesTrustRule(rule, verified))
  if (met.length === 0) throw new AssertionInvalid('no trust rule of this issuer matches the token')
  if (new Set(met.map((rule) => rule.handle)).size > 1) throw new AssertionInvalid('the token meets trust rules of several agents; name one with client_id')
  return { rule: met[0]!, payload: verified }
}

function reasonOf(error: unknown): string {
  if (isLanyardError(error)) return error.message
  if (error instanceof joseErrors.JWTExpired) return 'expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) return error.claim === 'nbf' ? 'not yet valid' : `claim "${error.claim}" is invalid`
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'signed by a key the issuer does not publish'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify'
  return 'signature or format is invalid'
}
