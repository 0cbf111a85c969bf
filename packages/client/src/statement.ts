import { SignJWT, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose'
import type { AgentKey } from './agent-key.js'
import { isRecord } from './errors.js'

/** JOSE `typ` of a statement an agent signs (RFC 8725 §3.11: never taken for an assertion). */
export const statementType = 'lanyard-statement+jwt'
/** JOSE `typ` of the broker's agent card. */
export const agentCardType = 'lanyard-agent-card+jwt'
/** WebFinger link relations the broker answers with (RFC 7033 §4.4.4.1). */
export const agentCardRel = 'https://lanyard.dev/rel/agent-card'
export const agentStatusRel = 'https://lanyard.dev/rel/agent-status'

/**
 * Signs `payload` as a JWT with the agent's own key. The protected header names the key (`kid`,
 * its RFC 7638 thumbprint) and the agent (`handle`); the payload gets `iss` = the handle and
 * `iat`. Anyone can then check it from the handle alone (verifyAgentStatement).
 */
export async function signStatement(key: AgentKey, handle: string, payload: Record<string, unknown>, now: Date): Promise<string> {
  if (payload.iss !== undefined && payload.iss !== handle) throw new TypeError('payload.iss, when given, must be the handle')
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: statementType, handle })
    .setIssuer(handle)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .sign(key.key)
}

/** The agent card's members (the broker's `GET /agents/{handle}/card`), as verified. */
export interface AgentCard extends JWTPayload {
  handle: string
  name: string
  description?: string
  provider: { organization: string; url: string }
  owner: string
  jwks: { keys: JWK[] }
  systems: { name: string; target?: unknown; scopes?: string[] }[]
  trust_tier: number
  escalation: { contact?: string; report_url: string }
  status: 'active' | 'suspended' | 'revoked'
  generation: number
  status_url: string
}

/**
 * (1) `valid`: the agent's current key signed it and the agent is active now;
 * (2) `revoked` / `suspended`: its key signed it, but live status says the agent is no longer trusted;
 * (3) `unknown-key`: the key that signed it is not among the agent's keys on its card (removed,
 *     never registered, or another agent's);
 * (4) `card-expired`: the card is the broker's but past its `exp`: fetch a fresh one.
 */
export type StatementVerdict = 'valid' | 'revoked' | 'suspended' | 'unknown-key' | 'card-expired'

export interface StatementVerification {
  readonly verdict: StatementVerdict
  readonly handle: string
  readonly kid: string | undefined
  /** The statement's payload; present only when its signature was checked (not for unknown-key or card-expired). */
  readonly payload?: JWTPayload
  /** The verified card; absent only when it had expired. */
  readonly card?: AgentCard
  /** Live status as the broker answered it (absent when not asked: unknown-key, card-expired). */
  readonly status?: { status: string; generation: number }
}

export type StatementUnverifiableReason =
  /** Not a compact JWS with a `handle` header, a `kid` and an `iss` matching the handle. */
  | 'malformed'
  /** The handle does not resolve (unknown, private, or the broker unreachable or answering nonsense). */
  | 'unresolvable'
  /** The card is not signed by the broker's key, or is not this handle's card. */
  | 'card-invalid'
  /** The named key of the agent did not sign this statement: it was altered or forged. */
  | 'signature-invalid'
  /** The statement carries an `exp` that has passed. */
  | 'statement-expired'

/** The statement could not be checked at all: `reason` says why. Messages hold no key material. */
export class StatementUnverifiable extends Error {
  readonly reason: StatementUnverifiableReason
  constructor(reason: StatementUnverifiableReason, message: string, options?: ErrorOptions) {
    super(`${reason}: ${message}`, options)
    this.name = 'StatementUnverifiable'
    this.reason = reason
  }
}

export interface VerifyStatementOptions {
  /**
   * The broker the handle resolves at (WebFinger and JWKS). Default `https://<handle's domain>`:
   * the handle names its broker. Also the only issuer whose cards are accepted.
   */
  issuer?: string
  fetch?: typeof fetch
  /** Time source (structurally @lanyard/core's Clock); tests pass a fake one. */
  clock?: { now(): Date }
  /** A card fetched earlier: skips WebFinger and the card fetch (live status is still asked). */
  card?: string
  /** Seconds of clock skew tolerated on the card's and the statement's times. Default 30. */
  clockToleranceSeconds?: number
}

async function getOk(fetchImpl: typeof fetch, url: string, accept: string): Promise<Response> {
  let res: Response
  try {
    res = await fetchImpl(url, { headers: { accept }, redirect: 'error' })
  } catch (cause) {
    throw new StatementUnverifiable('unresolvable', `${new URL(url).origin} could not be reached`, { cause })
  }
  if (!res.ok) throw new StatementUnverifiable('unresolvable', `${url} answered HTTP ${res.status}`)
  return res
}

async function cardUrl(fetchImpl: typeof fetch, issuer: string, handle: string): Promise<string> {
  const res = await getOk(fetchImpl, `${issuer}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle}`)}`, 'application/jrd+json')
  const jrd: unknown = await res.json().catch(() => undefined)
  if (!isRecord(jrd) || jrd.subject !== `acct:${handle}` || !Array.isArray(jrd.links)) throw new StatementUnverifiable('unresolvable', 'the WebFinger answer is not this handle\'s JRD')
  const link = jrd.links.find((l: unknown) => isRecord(l) && l.rel === agentCardRel && typeof l.href === 'string') as { href: string } | undefined
  if (link === undefined) throw new StatementUnverifiable('unresolvable', 'the WebFinger answer links no agent card')
  return new URL(link.href, issuer).href
}

/**
 * Checks a statement from the handle in its header alone: (1) WebFinger at the issuer resolves
 * the handle to its card; (2) the card's signature is checked against the issuer's JWKS, its
 * `iss`, `sub` and `typ` too; (3) the statement's signature is checked against the agent's key
 * named by `kid`, taken from the card; (4) live status is asked at the issuer. Answers a verdict
 * (see StatementVerdict); throws StatementUnverifiable when it cannot get that far.
 */
export async function verifyAgentStatement(jws: string, options: VerifyStatementOptions = {}): Promise<StatementVerification> {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const currentDate = options.clock?.now() ?? new Date()
  const clockTolerance = options.clockToleranceSeconds ?? 30

  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(jws)
  } catch (cause) {
    throw new StatementUnverifiable('malformed', 'not a compact JWS', { cause })
  }
  const handle = header.handle
  if (typeof handle !== 'string' || !/^[^\s@/]+@[a-z0-9.-]+$/.test(handle)) throw new StatementUnverifiable('malformed', 'the protected header names no handle')
  if (header.typ !== statementType) throw new StatementUnverifiable('malformed', `the protected header's typ is not ${statementType}`)
  const kid = header.kid
  const issuer = (options.issuer ?? `https://${handle.slice(handle.indexOf('@') + 1)}`).replace(/\/+$/, '')

  // (1) and (2): the card, signed by the issuer's key, for this handle.
  const card = options.card ?? (await (await getOk(fetchImpl, await cardUrl(fetchImpl, issuer, handle), 'application/jwt')).text())
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), { [customFetch]: fetchImpl })
  let verified: AgentCard
  try {
    verified = (await jwtVerify<AgentCard>(card, jwks, { issuer, subject: handle, typ: agentCardType, algorithms: ['ES256', 'EdDSA', 'RS256'], currentDate, clockTolerance })).payload
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { verdict: 'card-expired', handle, kid }
    // A failed fetch of the JWKS surfaces as the fetch's own error, a timeout, or jose's generic "expected 200".
    if (!(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout || error.code === 'ERR_JOSE_GENERIC') {
      throw new StatementUnverifiable('unresolvable', 'the issuer\'s JWKS could not be fetched', { cause: error })
    }
    throw new StatementUnverifiable('card-invalid', 'the agent card is not signed by the issuer for this handle', { cause: error })
  }
  if (verified.handle !== handle || !isRecord(verified.jwks) || !Array.isArray(verified.jwks.keys)) throw new StatementUnverifiable('card-invalid', 'the agent card does not describe this handle')

  // (3): the statement, against the one key of the agent it names.
  const jwk = typeof kid === 'string' ? verified.jwks.keys.find((k) => k.kid === kid) : undefined
  if (jwk === undefined || typeof jwk.alg !== 'string') return { verdict: 'unknown-key', handle, kid, card: verified }
  let payload: JWTPayload
  try {
    payload = (await jwtVerify(jws, await importJWK(jwk, jwk.alg), { issuer: handle, typ: statementType, algorithms: [jwk.alg], currentDate, clockTolerance })).payload
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new StatementUnverifiable('statement-expired', 'the statement has expired', { cause: error })
    if (error instanceof joseErrors.JWTClaimValidationFailed) throw new StatementUnverifiable('malformed', `the statement's ${error.claim} claim is wrong`, { cause: error })
    throw new StatementUnverifiable('signature-invalid', 'the statement was not signed by the key it names', { cause: error })
  }

  // (4): live status, from the issuer itself (the status document is not signed).
  if (new URL(verified.status_url).origin !== new URL(issuer).origin) throw new StatementUnverifiable('card-invalid', 'the card\'s status_url is not at its issuer')
  const live: unknown = await (await getOk(fetchImpl, verified.status_url, 'application/json')).json().catch(() => undefined)
  if (!isRecord(live) || typeof live.status !== 'string' || typeof live.generation !== 'number') throw new StatementUnverifiable('unresolvable', 'the status answer is not { status, generation }')
  const status = { status: live.status, generation: live.generation }
  const verdict: StatementVerdict = live.status === 'active' ? 'valid' : live.status === 'suspended' ? 'suspended' : 'revoked'
  return { verdict, handle, kid, payload, card: verified, status }
}
