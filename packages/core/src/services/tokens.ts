import { RateLimited, TokenInvalid, isLanyardError } from '../errors.js'
import type { AgentReader } from '../agents/agent-reader.js'
import { authenticate, type Authenticated } from '../auth/authenticate.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Systems } from '../exchange/connectors.js'
import { exchange, type Exchanged, type ExchangeRequest } from '../exchange/exchange.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { RateLimiter, RatePolicy } from '../ports/rate-limiter.js'
import type { AgentStore, AuditStore, BindingStore, GrantStore, PrimitiveStore } from '../ports/store/index.js'
import type { HandleTokenClaims, HandleTokens } from '../tokens/handle-token.js'
import { auditDraft } from './context.js'

export interface Introspection {
  readonly active: boolean
  readonly claims?: HandleTokenClaims
}

/** The agent-facing OAuth side: an assertion becomes a handle token, a handle token becomes a
 * credential (the exchange), and handle tokens are introspected and revoked. */
export interface TokenService {
  authenticate(assertion: string): Promise<Authenticated>
  exchange(request: ExchangeRequest): Promise<Exchanged>
  introspect(token: string): Promise<Introspection>
  /** RFC 7009 for handle tokens: idempotent, silent on tokens it does not know. */
  revokeToken(token: string): Promise<void>
}

export interface TokenServiceDeps {
  readonly store: AgentStore & BindingStore & GrantStore & AuditStore & PrimitiveStore
  readonly agents: AgentReader
  readonly tokens: HandleTokens
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
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { store, agents, tokens, clock } = deps

  async function limit(key: string, policy: RatePolicy): Promise<void> {
    const decision = await deps.limiter.take(key, policy)
    if (!decision.allowed) throw new RateLimited(decision.retryAfterSeconds)
  }

  return {
    authenticate: (assertion) => authenticate({ store, agents, tokens, clock, issuer: deps.issuer, limit: (handle) => limit(`authenticate:${handle}`, deps.rateLimits.authenticate) }, assertion),
    exchange: (request) =>
      exchange(
        { store, agents, tokens, systems: deps.systems, sealer: deps.sealer, clock, log: deps.log, maxCredentialTtlSeconds: deps.maxCredentialTtlSeconds, upstreamTimeoutMs: deps.upstreamTimeoutMs, limit: (handle) => limit(`exchange:${handle}`, deps.rateLimits.exchange) },
        request,
      ),
    async introspect(token) {
      let claims: HandleTokenClaims
      try {
        claims = await tokens.verify(token)
      } catch (error) {
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
