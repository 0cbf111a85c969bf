import { decodeJwt, decodeProtectedHeader, errors as joseErrors, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import { AgentNotActive, AgentNotFound, AssertionInvalid, AssertionReplayed, isLanyardError } from '../errors.js'
import { parseHandle } from '../agents/handle.js'
import type { Clock } from '../ports/clock.js'
import type { AgentStore, AuditStore, PrimitiveStore } from '../ports/store/index.js'
import type { AgentReader } from '../agents/agent-reader.js'
import { handleTokenType, type HandleTokens } from '../tokens/handle-token.js'
import type { Agent } from '../agents/agent.js'
import { verifyDpopProof, type DpopNonces, type DpopRequest } from './dpop.js'
import { verifyFederated, type FederationIssuer, type IssuerKeys } from './federated.js'
import type { TrustRule } from './trust-rule.js'

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
  /** RFC 7638 thumbprint of the DPoP key the token is bound to (`cnf.jkt`), when it is. */
  readonly jkt?: string
}

/** Platform tokens the broker accepts as assertions: configured issuers, their keys, the agents' rules. */
export interface Federation {
  /** Keyed by the exact `iss`. */
  readonly issuers: ReadonlyMap<string, FederationIssuer>
  readonly keys: IssuerKeys
  readonly rules: (issuer: string) => Promise<readonly TrustRule[]>
}

/** DPoP (RFC 9449) as the broker applies it to its token endpoint. */
export interface DpopSettings {
  /** Refuse unbound handle tokens for every agent; per agent, the label `require-dpop: "true"`. */
  readonly required: boolean
  readonly nonces?: DpopNonces | undefined
}

/** Label an agent carries to require DPoP-bound handle tokens whatever the global setting. */
export const requireDpopLabel = 'require-dpop'

export function dpopRequiredFor(agent: Agent, settings: DpopSettings): boolean {
  return settings.required || agent.labels[requireDpopLabel] === 'true'
}

export interface AuthenticateOptions {
  /** The request's DPoP proof, if it sent one: the token is then bound to its key. */
  readonly dpop?: DpopRequest
  /** `client_id`: which agent a platform token signs in as, when its rules name several. */
  readonly clientId?: string
}

export interface AuthenticateDeps {
  readonly store: AgentStore & PrimitiveStore & AuditStore
  readonly agents: AgentReader
  readonly tokens: HandleTokens
  readonly clock: Clock
  readonly issuer: string
  readonly limit: (handle: string) => Promise<void>
  readonly federation?: Federation | undefined
  readonly dpop: DpopSettings
}

/**
 * RFC 7523 jwt-bearer: verifies an assertion and mints a handle token. The assertion is either
 * signed by one of the agent's registered keys (`iss` = `sub` = handle), or a platform token of
 * a configured federation issuer that meets one of the agent's trust rules. Every refusal is
 * AssertionInvalid (invalid_grant) with a reason, except a reused `jti` (AssertionReplayed), an
 * agent that is not active (AgentNotActive), an issuer whose keys cannot be had
 * (IssuerUnavailable) and a refused DPoP proof (DpopProofInvalid, DpopNonceRequired).
 */
export async function authenticate(deps: AuthenticateDeps, assertion: string, options: AuthenticateOptions = {}): Promise<Authenticated> {
  const { store, agents, tokens, clock, issuer } = deps
  let header: ReturnType<typeof decodeProtectedHeader>
  let unverified: JWTPayload
  try {
    header = decodeProtectedHeader(assertion)
    unverified = decodeJwt(assertion)
  } catch {
    throw new AssertionInvalid('not a signed JWT')
  }
  // (1) A handle token is not an assertion, whoever signed it.
  if (header.typ === handleTokenType) throw new AssertionInvalid('a handle token cannot be used as an assertion')
  // (2) A platform token: `iss` is exactly a configured issuer. Nothing else makes an outbound call.
  const platform = typeof unverified.iss === 'string' ? deps.federation?.issuers.get(unverified.iss) : undefined
  if (platform !== undefined && deps.federation !== undefined) return authenticateFederated(deps, deps.federation, platform, assertion, String(header.alg), options)
  // (3) Algorithm allow-list before anything else: `none` and HMAC never reach a key.
  if (typeof header.alg !== 'string' || !acceptedAlgorithms.includes(header.alg)) throw new AssertionInvalid(`algorithm "${String(header.alg)}" is not accepted; use EdDSA or ES256`)
  // (4) Whose assertion is it? iss = sub = handle (RFC 7523 3).
  let handle: string
  try {
    handle = parseHandle(unverified.sub)
  } catch {
    throw new AssertionInvalid('"sub" must be the agent handle')
  }
  if (unverified.iss !== handle) throw new AssertionInvalid('"iss" must equal "sub"')
  // RFC 7523bis: `aud` is exactly the issuer; an array (even one naming it) is refused.
  if (typeof unverified.aud !== 'string') throw new AssertionInvalid('"aud" must be the issuer identifier as a single string')
  // (4b) One answer, one timing class, for an unknown handle, an unknown kid and a bad
  // signature: the caller is not authenticated yet, so it learns nothing of which handles exist.
  // Without a candidate key, the assertion is checked against a dummy key of its algorithm.
  const agent = await agents.fresh(handle)
  const keys = (await store.listKeys(handle)).filter((k) => agent !== undefined && k.alg === header.alg && (header.kid === undefined || k.kid === header.kid))
  if (agent === undefined || keys.length === 0) {
    await jwtVerify(assertion, await dummyKey(header.alg), { algorithms: [header.alg] }).catch(() => undefined)
    throw new AssertionInvalid(unverifiable, { detail: agent === undefined ? 'unknown agent' : 'no registered key matches alg and kid', ...(agent === undefined ? { cause: new AgentNotFound(handle) } : {}) })
  }
  // (5) Signature and claims against each candidate key (one, when kid is given).
  let payload: JWTPayload | undefined
  let usedKid: string | undefined
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
      usedKid = key.kid
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
  // Delegation claims come from the broker only (#17): an agent cannot assert who acts for it.
  if (payload.act !== undefined || payload.may_act !== undefined) throw new AssertionInvalid('"act" and "may_act" are the broker\'s to set, never an assertion\'s')
  // (6) Status after the signature: an unauthenticated caller learns nothing of it.
  if (agent.status !== 'active') throw new AgentNotActive(handle, agent.status)
  // (7) Rate: counted only for assertions that verified, so nobody can exhaust an agent's budget.
  await deps.limit(handle)
  // (8) The DPoP proof, if any (required for some agents), before the assertion's jti is spent.
  const jkt = await bindingKey(deps, agent, options)
  // (9) One use per jti, remembered until the assertion could no longer be accepted anyway.
  const first = await store.useOnce(`assertion:${handle}:${payload.jti}`, new Date((exp + clockToleranceSeconds) * 1000), clock.now())
  if (!first) throw new AssertionReplayed()
  const minted = await tokens.mint(handle, agent.generation, { ...(jkt === undefined ? {} : { jkt }), auth: { method: 'key', kid: usedKid } })
  return { token: minted.token, handle, expiresAt: minted.claims.expiresAt, ...(jkt === undefined ? {} : { jkt }) }
}

/** The thumbprint to bind the token to: the proof's key, when a proof came or the agent requires one. */
async function bindingKey(deps: AuthenticateDeps, agent: Agent, options: AuthenticateOptions): Promise<string | undefined> {
  const proof = options.dpop
  if ((proof === undefined || proof.proof === undefined) && !dpopRequiredFor(agent, deps.dpop)) return undefined
  return verifyDpopProof({ store: deps.store, clock: deps.clock, nonces: deps.dpop.nonces }, proof ?? { proof: undefined, method: 'POST', url: `${deps.issuer}/oauth/token` })
}

/**
 * A platform token meeting an agent's trust rule. The handle token records the issuer, the
 * platform subject and the rule (`auth`, `amr: ["fed"]`); so does the audit event, written
 * before the token is minted (no audit, no token).
 */
async function authenticateFederated(deps: AuthenticateDeps, federation: Federation, platform: FederationIssuer, assertion: string, alg: string, options: AuthenticateOptions): Promise<Authenticated> {
  const { store, clock } = deps
  let requested: string | undefined
  if (options.clientId !== undefined) {
    try {
      requested = parseHandle(options.clientId)
    } catch {
      throw new AssertionInvalid('"client_id" must be an agent handle')
    }
  }
  const { rule, payload } = await verifyFederated({ keys: federation.keys, rules: federation.rules, now: clock.now() }, platform, assertion, alg, requested)
  const agent = await deps.agents.fresh(rule.handle)
  if (agent === undefined) throw new AssertionInvalid('unknown agent', { cause: new AgentNotFound(rule.handle) })
  if (agent.status !== 'active') throw new AgentNotActive(agent.handle, agent.status)
  await deps.limit(agent.handle)
  const jkt = await bindingKey(deps, agent, options)
  const auth = { method: 'federated' as const, iss: payload.iss, sub: payload.sub, rule: rule.id }
  await store.appendAudit(agent.handle, {
    at: clock.now(),
    actor: `agent:${agent.handle}`,
    action: 'agent.authenticated',
    target: agent.handle,
    outcome: 'success',
    details: { method: 'federated', issuer: payload.iss, subject: payload.sub, rule_id: rule.id, ...(jkt === undefined ? {} : { jkt }) },
  })
  const minted = await deps.tokens.mint(agent.handle, agent.generation, { ...(jkt === undefined ? {} : { jkt }), auth })
  return { token: minted.token, handle: agent.handle, expiresAt: minted.claims.expiresAt, ...(jkt === undefined ? {} : { jkt }) }
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
