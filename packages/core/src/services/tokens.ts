import { RateLimited, TokenInvalid, isLanyardError } from '../errors.js'
import type { AgentReader } from '../agents/agent-reader.js'
import { authenticate, type Authenticated, type AuthenticateOptions, type DpopSettings } from '../auth/authenticate.js'
import type { FederationIssuer, IssuerKeys } from '../auth/federated.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Systems } from '../exchange/connectors.js'
import { exchange, type Exchanged, type ExchangeRequest } from '../exchange/exchange.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { RateLimiter, RatePolicy } from '../ports/rate-limiter.js'
import type { AgentStore, AuditStore, BindingStore, GrantStore, PrimitiveStore, TrustRuleStore } from '../ports/store/index.js'
import { isOpenAt } from '../exchange/grant.js'
import { verifyAccessToken, type VerifiedAccessToken } from '../tokens/access-token.js'
import type { HandleTokenClaims, HandleTokens } from '../tokens/handle-token.js'
import type { KeyRing } from '../tokens/key-ring.js'
import { auditDraft } from './context.js'

export interface Introspection {
  readonly active: boolean
  readonly claims?: HandleTokenClaims
  /** Set instead of `claims` when the token is an RFC 9068 access token the broker signed. */
  readonly accessToken?: VerifiedAccessToken
}

/** The agent-facing OAuth side: an assertion becomes a handle token, a handle token becomes a
 * credential (the exchange), and handle tokens are introspected and revoked. */
export interface TokenService {
  /** With a DPoP proof the token is bound to its key; `clientId` picks the agent of a platform token whose rules name several. */
  authenticate(assertion: string, options?: AuthenticateOptions): Promise<Authenticated>
  /** The broker's current DPoP nonce, when proofs must carry one (announced in the DPoP-Nonce header). */
  dpopNonce(): string | undefined
  exchange(request: ExchangeRequest): Promise<Exchanged>
  introspect(token: string): Promise<Introspection>
  /** RFC 7009 for handle tokens: idempotent, silent on tokens it does not know. */
  revokeToken(token: string): Promise<void>
}

export interface TokenServiceDeps {
  readonly store: AgentStore & BindingStore & GrantStore & AuditStore & PrimitiveStore & TrustRuleStore
  readonly agents: AgentReader
  readonly tokens: HandleTokens
  /** Verifies the RFC 9068 access tokens the broker signs for resource servers (MCP). */
  readonly keys: KeyRing
  readonly systems: Systems
  readonly sealer: Sealer
  readonly limiter: RateLimiter
  readonly clock: Clock
  readonly log: Logger
  readonly issuer: string
  /** Per agent. Refusals are RateLimited (429 with Retry-After). */
  readonly rateLimits: { readonly exchange: RatePolicy; readonly authenticate: RatePolicy }
  readonly maxCredentialTtlSeconds: number
  readonly upstreamTimeoutMs: number
  readonly dpop: DpopSettings
  /** Configured platform issuers; absent, platform tokens are never recognised. */
  readonly federation?: { readonly issuers: readonly FederationIssuer[]; readonly keys: IssuerKeys } | undefined
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { store, agents, tokens, clock, dpop } = deps
  const federation = deps.federation === undefined ? undefined : { keys: deps.federation.keys, issuers: new Map(deps.federation.issuers.map((i) => [i.issuer, i])), rules: (issuer: string) => store.listTrustRulesByIssuer(issuer) }

  async function limit(key: string, policy: RatePolicy): Promise<void> {
    const decision = await deps.limiter.take(key, policy)
    if (!decision.allowed) throw new RateLimited(decision.retryAfterSeconds)
  }

  /**
   * An RFC 9068 access token (an MCP server's) is active while its jti is not on the revoked
   * list, its agent is active, and the grant it was minted for (its jti is the grant id) is live.
   */
  async function introspectAccessToken(token: string): Promise<Introspection> {
    let verified: VerifiedAccessToken
    try {
      verified = await verifyAccessToken(deps.keys, clock, deps.issuer, token)
    } catch (error) {
      if (error instanceof TokenInvalid) return { active: false }
      throw error
    }
    if (await store.isTokenRevoked(verified.jti, clock.now())) return { active: false }
    const agent = await agents.fresh(verified.handle)
    if (agent === undefined || agent.status !== 'active') return { active: false }
    const grant = await store.getGrant(verified.handle, verified.jti)
    if (grant === undefined || !isOpenAt(grant, clock.now())) return { active: false }
    return { active: true, accessToken: verified }
  }

  return {
    authenticate: (assertion, options) =>
      authenticate({ store, agents, tokens, clock, issuer: deps.issuer, dpop, federation, limit: (handle) => limit(`authenticate:${handle}`, deps.rateLimits.authenticate) }, assertion, options),
    dpopNonce: () => dpop.nonces?.current(),
    exchange: (request) =>
      exchange(
        { store, agents, tokens, systems: deps.systems, sealer: deps.sealer, clock, log: deps.log, dpop, maxCredentialTtlSeconds: deps.maxCredentialTtlSeconds, upstreamTimeoutMs: deps.upstreamTimeoutMs, limit: (handle) => limit(`exchange:${handle}`, deps.rateLimits.exchange) },
        request,
      ),
    async introspect(token) {
      let claims: HandleTokenClaims
      try {
        claims = await tokens.verify(token)
      } catch (error) {
        if (error instanceof TokenInvalid && error.reason === 'not a handle token') return introspectAccessToken(token)
        if (error instanceof TokenInvalid) return { active: false }
        throw error
      }
      if (await store.isTokenRevoked(claims.jti, clock.now())) return { active: false }
      const agent = await agents.fresh(claims.handle)
      if (agent === undefined || agent.status !== 'active' || agent.generation !== claims.generation) return { active: false }
      return { active: true, claims }
    },
    async revokeToken(token) {
      try {
        const claims = await tokens.verify(token)
        await store.revokeToken(claims.jti, claims.expiresAt)
        await store.appendAudit(claims.handle, auditDraft(clock, `agent:${claims.handle}`, 'token.revoked', claims.jti))
      } catch (error) {
        if (!isLanyardError(error) || error.code !== 'ERR_TOKEN_INVALID') throw error
      }
    },
  }
}
