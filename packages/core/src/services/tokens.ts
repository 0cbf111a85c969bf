import { RateLimited, TokenInvalid, isLanyardError } from '../errors.js'
import type { AgentReader } from '../agents/agent-reader.js'
import { authenticate, type Authenticated, type AuthenticateOptions, type DpopSettings } from '../auth/authenticate.js'
import type { FederationIssuer, IssuerKeys } from '../auth/federated.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Systems } from '../exchange/connectors.js'
import { exchange, type ExchangeDeps, type Exchanged, type ExchangeRequest } from '../exchange/exchange.js'
import type { TrustPolicy } from '../tiers/tier-record.js'
import type { TrustTier } from '../agents/agent.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { RateLimiter, RatePolicy } from '../ports/rate-limiter.js'
import type { AgentStore, ApprovalStore, AuditStore, BindingStore, DelegationStore, GrantStore, PrimitiveStore, TrustRuleStore } from '../ports/store/index.js'
import type { Approval } from '../approvals/approval.js'
import { isOpenAt } from '../exchange/grant.js'
import { verifyAccessToken, type VerifiedAccessToken } from '../tokens/access-token.js'
import type { ActClaim, HandleTokenClaims, HandleTokens } from '../tokens/handle-token.js'
import { AgentNotActive, DelegationDenied } from '../errors.js'
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
  readonly store: AgentStore & BindingStore & GrantStore & AuditStore & PrimitiveStore & ApprovalStore & TrustRuleStore & DelegationStore
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
  readonly onApprovalRequested?: (approval: Approval) => void
  /** Per-tier caps (trust.tiers): credential lifetime and exchange rate. */
  readonly tierCaps?: TrustPolicy['tiers']
  readonly onOutcome?: ExchangeDeps['onOutcome']
  readonly dpop: DpopSettings
  /** Configured platform issuers; absent, platform tokens are never recognised. */
  readonly federation?: { readonly issuers: readonly FederationIssuer[]; readonly keys: IssuerKeys } | undefined
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { store, agents, clock, dpop } = deps
  const tokens = delegatingTokens(deps.tokens, store, clock)
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
    exchange: async (input) => {
      // `delegation` is the service's to set, never the caller's: whatever came in is dropped.
      const { delegation: _untrusted, ...request } = input
      const delegation = request.actorToken === undefined ? undefined : await resolveActor(tokens, store, agents, clock, request.subjectToken, request.actorToken, request.system)
      return exchange(
        { store, agents, tokens, systems: deps.systems, sealer: deps.sealer, clock, log: deps.log, dpop, maxCredentialTtlSeconds: deps.maxCredentialTtlSeconds, upstreamTimeoutMs: deps.upstreamTimeoutMs, ...(deps.onApprovalRequested === undefined ? {} : { onApprovalRequested: deps.onApprovalRequested }), // A tier with its own rate gets its own bucket: GCRA state computed under another tier's
          // interval would hold a promoted agent back for as long as the slow tier's debt.
          limit: (handle, tier) => {
            const capped = deps.tierCaps?.[tier as TrustTier]?.exchangeRate
            return capped === undefined ? limit(`exchange:${handle}`, deps.rateLimits.exchange) : limit(`exchange:${tier}:${handle}`, capped)
          },
          ttlCap: (tier) => deps.tierCaps?.[tier as TrustTier]?.maxTtlSeconds,
          ...(deps.onOutcome === undefined ? {} : { onOutcome: deps.onOutcome }),
        },
        delegation === undefined ? request : { ...request, delegation },
      )
    },
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

/**
 * Handle tokens carrying the delegation claims (#17): a child's lineage as nested `act` (parent
 * outermost), and `may_act` naming the actors of the agent's live delegation rules. Read at
 * mint time: a rule set later shows in the next token.
 */
function delegatingTokens(tokens: HandleTokens, store: AgentStore & DelegationStore, clock: Clock): HandleTokens {
  async function lineage(handle: string): Promise<ActClaim | undefined> {
    const ancestors: string[] = []
    for (let agent = await store.getAgent(handle); agent?.parent !== undefined && ancestors.length < 16; agent = await store.getAgent(agent.parent)) ancestors.push(agent.parent)
    return ancestors.reduceRight<ActClaim | undefined>((inner, sub) => (inner === undefined ? { sub } : { sub, act: inner }), undefined)
  }
  return {
    verify: (token) => tokens.verify(token),
    async mint(handle, generation, options = {}) {
      const now = clock.now()
      const [act, rules] = await Promise.all([lineage(handle), store.listDelegations(handle)])
      const mayAct = rules.filter((rule) => rule.expiresAt > now).map((rule) => rule.actor)
      return tokens.mint(handle, generation, { ...options, ...(act === undefined ? {} : { act }), ...(mayAct.length === 0 ? {} : { mayAct }) })
    },
  }
}

/**
 * RFC 8693 `actor_token` (#17): allowed only when the subject token's `may_act` names the actor
 * AND a live delegation rule of the subject names that actor and system. The actor token must be
 * a live handle token of an active agent (current generation, not revoked, unbound: it comes
 * without a proof of its own). Returns the `act` chain (the actor outermost, then whatever chain
 * the subject token carries) and the rule's scopes. Refusals are DelegationDenied or TokenInvalid.
 */
async function resolveActor(tokens: HandleTokens, store: PrimitiveStore & DelegationStore, agents: AgentReader, clock: Clock, subjectToken: string, actorToken: string, system: string): Promise<{ act: ActClaim; scopes: readonly string[] }> {
  const subject = await tokens.verify(subjectToken)
  const actor = await tokens.verify(actorToken).catch((error: unknown) => {
    throw error instanceof TokenInvalid ? new TokenInvalid(`actor_token: ${error.reason}`) : error
  })
  if (actor.jkt !== undefined) throw new TokenInvalid('actor_token: a DPoP-bound actor token needs a proof of its own, which this endpoint does not take')
  if (await store.isTokenRevoked(actor.jti, clock.now())) throw new TokenInvalid('actor_token: revoked')
  const actorAgent = await agents.fresh(actor.handle)
  if (actorAgent === undefined || actorAgent.status !== 'active' || actorAgent.generation !== actor.generation) {
    throw new DelegationDenied(`actor "${actor.handle}" is not an active agent, or its token predates its last change`, 'actor-not-active', { cause: actorAgent === undefined ? undefined : new AgentNotActive(actor.handle, actorAgent.status) })
  }
  if (!(subject.mayAct ?? []).includes(actor.handle)) throw new DelegationDenied(`the subject token's may_act does not name "${actor.handle}"`, 'not-in-may-act')
  const now = clock.now()
  const rule = (await store.listDelegations(subject.handle)).find((r) => r.actor === actor.handle && r.expiresAt > now && r.systems.includes(system))
  if (rule === undefined) throw new DelegationDenied(`no live delegation lets "${actor.handle}" act for "${subject.handle}" on "${system}"`, 'no-live-rule')
  // The subject's own chain (a child's lineage) nests inside: the actor is the most recent.
  return { act: subject.act === undefined ? { sub: actor.handle } : { sub: actor.handle, act: subject.act }, scopes: rule.scopes }
}
