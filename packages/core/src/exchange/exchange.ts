import { v7 as timeOrderedUuid } from 'uuid'
import {
  AgentNotActive,
  BindingNotFound,
  BindingRevoked,
  DelegationDenied,
  DpopProofInvalid,
  InternalFailure,
  SystemUnknown,
  TokenInvalid,
  UpstreamUnavailable,
  isLanyardError,
  type AnyLanyardError,
} from '../errors.js'
import type { Agent } from '../agents/agent.js'
import type { AgentReader } from '../agents/agent-reader.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Clock } from '../ports/clock.js'
import type { ExchangeCredential, Logger } from '../ports/connector.js'
import type { ApprovalStore, AuditStore, BindingStore, GrantStore, PrimitiveStore } from '../ports/store/index.js'
import { beginGrantThroughApproval } from '../approvals/approval-gate.js'
import type { Approval } from '../approvals/approval.js'
import type { ActClaim, HandleTokens } from '../tokens/handle-token.js'
import type { Grant } from './grant.js'
import { dpopRequiredFor, type DpopSettings } from '../auth/authenticate.js'
import { verifyDpopProof, type DpopRequest } from '../auth/dpop.js'
import type { Systems } from './connectors.js'

export interface ExchangeRequest {
  readonly subjectToken: string
  readonly system: string
  /** Absent: the binding's whole ceiling. Present: must narrow it. */
  readonly scopes?: readonly string[]
  /** Spends this approval (approvals/approval-gate.ts): exactly the scopes it was given for. */
  readonly approvalId?: string
  /** Shown to the approver when this exchange needs an approval; at most 500 characters. */
  readonly reason?: string
  /** The request's DPoP proof. Required when the token is bound (`cnf.jkt`) or the agent requires DPoP. */
  readonly dpop?: DpopRequest
  /** An RFC 8693 `actor_token` (#17): a handle token of the agent acting for the subject. */
  readonly actorToken?: string
  /**
   * Set by the token service once the actor checked out (never by a caller): the `act` chain the
   * grant records, and the delegation rule's scopes the ceiling is intersected with.
   */
  readonly delegation?: { readonly act: ActClaim; readonly scopes: readonly string[] }
}

export interface Exchanged {
  /** RFC 8693 §4.1: who acted for the subject, most recent outermost (#17). */
  readonly act?: ActClaim
  readonly grantId: string
  readonly system: string
  readonly scopes: readonly string[]
  readonly expiresAt: Date
  readonly credential: ExchangeCredential
}

export interface ExchangeDeps {
  readonly store: GrantStore & BindingStore & AuditStore & PrimitiveStore & ApprovalStore
  readonly agents: AgentReader
  readonly tokens: HandleTokens
  readonly systems: Systems
  readonly sealer: Sealer
  readonly clock: Clock
  readonly log: Logger
  readonly maxCredentialTtlSeconds: number
  readonly upstreamTimeoutMs: number
  /** Throws RateLimited when the agent is over its exchange rate (per tier, #15). */
  readonly limit: (handle: string, tier: number) => Promise<void>
  /** Per-tier cap on credential lifetime (trust.tiers[n].maxTtlSeconds). */
  readonly ttlCap?: (tier: number) => number | undefined
  /** Told of every outcome after the answer is decided (earned trust's counters); must not throw. */
  readonly onOutcome?: (handle: string, outcome: { readonly granted: true; readonly approved: boolean } | { readonly granted: false; readonly code: string }) => Promise<void>
  /** Told of each new approval request (the webhook push). */
  readonly onApprovalRequested?: (approval: Approval) => void
  readonly dpop: DpopSettings
}

export function grantSealContext(grantId: string): string {
  return `grant:${grantId}`
}

/**
 * RFC 8693 exchange: handle token in, one down-scoped upstream credential out.
 *
 * (1) The handle token is verified and its generation compared with a possibly cached agent, to
 *     refuse early. (2) The request is narrowed against the binding's ceiling by the connector.
 * (3) `beginGrant` re-checks status, generation and the binding (still this version, not
 *     revoked) inside the write that records the grant, so once a revocation (of the agent or
 *     of the binding) has committed no exchange can record, and so none can mint. (4) The
 *     upstream mints. (5) `settleGrant` records it live with its audit event before the
 *     credential is returned; if that write fails the credential is revoked and never returned.
 */
export async function exchange(deps: ExchangeDeps, request: ExchangeRequest): Promise<Exchanged> {
  const { store, agents, tokens, clock } = deps
  const claims = await tokens.verify(request.subjectToken)
  if (await store.isTokenRevoked(claims.jti, clock.now())) throw new TokenInvalid('revoked')
  const agent = await agents.get(claims.handle)
  if (agent === undefined) throw new TokenInvalid('unknown agent')
  try {
    await deps.limit(agent.handle, agent.tier)
    // (0) A bound token is worth nothing without a fresh proof of its key; an unbound one is
    //     refused where DPoP is required. Nothing is read or begun before this passes.
    //     An unbound token with a proof: the proof is checked all the same (RFC 9449 5), so that
    //     a connector that sender-constrains (an MCP token's `cnf.jkt`) binds to a proven key.
    const proofs = { store, clock, nonces: deps.dpop.nonces }
    let jkt: string | undefined
    if (claims.jkt !== undefined) jkt = await verifyDpopProof(proofs, request.dpop ?? { proof: undefined, method: 'POST', url: '' }, { jkt: claims.jkt, accessToken: request.subjectToken })
    else if (dpopRequiredFor(agent, deps.dpop)) throw new DpopProofInvalid('unbound-token', 'this agent requires a DPoP-bound handle token; authenticate again with a DPoP proof')
    else if (request.dpop?.proof !== undefined && request.dpop.proof !== '') jkt = await verifyDpopProof(proofs, request.dpop, { accessToken: request.subjectToken })
    const exchanged = await exchangeFor(deps, agent, claims.generation, request, jkt)
    await deps.onOutcome?.(agent.handle, { granted: true, approved: request.approvalId !== undefined })
    return exchanged
  } catch (error) {
    if (isLanyardError(error) || error instanceof GrantRecorded) {
      const code = error instanceof GrantRecorded ? (isLanyardError(error.cause) ? error.cause.code : 'ERR_INTERNAL') : error.code
      await deps.onOutcome?.(agent.handle, { granted: false, code })
    }
    // Refusals before a grant was begun leave no grant event: record them on the agent's chain.
    if (isLanyardError(error) && !(error instanceof GrantRecorded) && error.code !== 'ERR_APPROVAL_REQUIRED' && error.code !== 'ERR_RATE_LIMITED') {
      await store
        .appendAudit(agent.handle, { at: clock.now(), actor: `agent:${agent.handle}`, action: 'exchange.refused', target: request.system, outcome: 'failure', details: { system: request.system, code: error.code, reason: error.message } })
        .catch((auditError: unknown) => deps.log.warn({ handle: agent.handle, err: String(auditError) }, 'refused exchange could not be audited'))
    }
    throw error instanceof GrantRecorded ? error.cause : error
  }
}

/** Wraps an error whose grant already carries its own audit event (grant.failed). */
class GrantRecorded extends Error {
  override readonly cause: unknown
  constructor(cause: unknown) {
    super('grant recorded')
    this.cause = cause
  }
}

async function exchangeFor(deps: ExchangeDeps, agent: Agent, generation: number, request: ExchangeRequest, jkt: string | undefined): Promise<Exchanged> {
  const { store, systems, clock } = deps
  if (agent.status !== 'active') throw new AgentNotActive(agent.handle, agent.status)
  if (agent.generation !== generation) throw new TokenInvalid('issued before the agent last changed; authenticate again')

  const system = systems.get(request.system)
  if (system === undefined) throw new SystemUnknown(request.system)
  const binding = await store.getBinding(agent.handle, system.name)
  if (binding === undefined || binding.status === 'revoked') {
    // The agent read may be cached and trail the revocation that ended its bindings: the refusal
    // names what happened to the agent (invalid_grant), as on the replica that revoked it.
    const fresh = await deps.agents.fresh(agent.handle)
    if (fresh !== undefined && fresh.status !== 'active') throw new AgentNotActive(agent.handle, fresh.status)
    if (binding === undefined) throw new BindingNotFound(agent.handle, system.name)
    throw new BindingRevoked(agent.handle, system.name, 'revoked')
  }
  if (agent.tier < binding.minTier) throw new AgentNotActive(agent.handle, `at trust tier ${agent.tier}, below this binding's minimum of ${binding.minTier}`)
  // With an actor: the rule's scopes that the subject's ceiling covers, by the connector's own
  // narrowing rules (write covers read), are the ceiling of this exchange (#17).
  const covered = (scope: string) => {
    try {
      system.instance.narrow(binding.ceiling, [scope])
      return true
    } catch {
      return false
    }
  }
  const ceiling = request.delegation === undefined ? binding.ceiling : request.delegation.scopes.filter(covered)
  if (ceiling.length === 0) throw new DelegationDenied(`the delegation gives no scope of "${system.name}" this binding holds`, 'no-live-rule')
  const scopes = system.instance.narrow(ceiling, request.scopes ?? ceiling)
  const act = request.delegation === undefined ? {} : { act: request.delegation.act }

  const planned: Grant = {
    // Time-ordered (RFC 9562 v7): new grants land on the ledger's rightmost index pages instead
    // of random ones, so a commit writes fewer pages (+14% exchanges/s in the store alone).
    id: timeOrderedUuid(),
    handle: agent.handle,
    bindingId: binding.id,
    system: system.name,
    connectorType: system.type,
    scopes,
    status: 'pending',
    createdAt: clock.now(),
    index: {},
  }
  const actor = `agent:${agent.handle}`
  // (3) Through a person's approval when the binding asks for one or the agent brings one.
  const grant = await beginGrantThroughApproval(
    { store, clock, ...(deps.onApprovalRequested === undefined ? {} : { onRequested: deps.onApprovalRequested }) },
    { agent, generation, binding, scopes, ...(request.approvalId === undefined ? {} : { approvalId: request.approvalId }), ...(request.reason === undefined ? {} : { reason: request.reason }) },
    planned,
    { at: clock.now(), actor, action: 'grant.requested', target: planned.id, outcome: 'success', details: { system: system.name, scopes, ...act } },
  )
  const approvedBy = grant.approval === undefined ? {} : { approval_id: grant.approval.id, approved_by: grant.approval.by }

  let issued
  try {
    issued = await system.instance.issue(
      { grantId: grant.id, agent: { handle: agent.handle, owner: agent.owner, tier: agent.tier }, target: binding.target, scopes, ...(request.delegation === undefined ? {} : { act: actChain(request.delegation.act) }), maxTtlSeconds: Math.min(deps.maxCredentialTtlSeconds, deps.ttlCap?.(agent.tier) ?? Number.POSITIVE_INFINITY), ...(jkt === undefined ? {} : { jkt }) },
      AbortSignal.timeout(deps.upstreamTimeoutMs),
    )
  } catch (cause) {
    const error: AnyLanyardError = isLanyardError(cause)
      ? cause
      : cause instanceof DOMException && cause.name === 'TimeoutError'
        ? new UpstreamUnavailable(system.name, { detail: `no answer within ${deps.upstreamTimeoutMs} ms` })
        : new InternalFailure({ cause })
    await store.settleGrant(agent.handle, grant.id, { status: 'failed', error: error.message }, {
      at: clock.now(), actor, action: 'grant.failed', target: grant.id, outcome: 'failure',
      details: { system: system.name, code: error.code, error: error.message },
    })
    throw new GrantRecorded(error)
  }

  const expiresAt = issued.expiresAt
  try {
    await store.settleGrant(
      agent.handle,
      grant.id,
      {
        status: 'live',
        expiresAt,
        ref: issued.ref,
        index: { ...issued.index, grant_id: grant.id, ...(request.delegation === undefined ? {} : { act: JSON.stringify(request.delegation.act), act_sub: request.delegation.act.sub }) },
        ...(issued.revocationSecret === undefined ? {} : { sealedSecret: deps.sealer.seal(issued.revocationSecret, grantSealContext(grant.id)) }),
      },
      {
        at: clock.now(), actor, action: 'grant.issued', target: grant.id, outcome: 'success',
        details: { system: system.name, scopes, expires_at: expiresAt.toISOString(), ...issued.index, ...approvedBy, ...act, ...(issued.credential.tokenType === 'DPoP' && jkt !== undefined ? { dpop_jkt: jkt } : {}) },
      },
    )
  } catch (error) {
    // Audit before answer: unrecorded, the credential must not reach the agent or stay alive.
    await system.instance
      .revoke({ grantId: grant.id, handle: agent.handle, ref: issued.ref, issuedAt: grant.createdAt, expiresAt, ...(issued.revocationSecret === undefined ? {} : { secret: issued.revocationSecret }) }, AbortSignal.timeout(deps.upstreamTimeoutMs))
      .catch((revokeError: unknown) => deps.log.error({ grant_id: grant.id, system: system.name, err: String(revokeError) }, 'unrecorded credential could not be revoked; it stays pending for reconciliation'))
    throw error
  }
  // The actor's own chain records what it did for the subject (#17); the grant is on record already.
  if (request.delegation !== undefined) {
    await store
      .appendAudit(request.delegation.act.sub, { at: clock.now(), actor: `agent:${request.delegation.act.sub}`, action: 'delegation.acted', target: grant.id, outcome: 'success', details: { subject: agent.handle, system: system.name, scopes, ...act } })
      .catch((error: unknown) => deps.log.warn({ handle: request.delegation!.act.sub, err: String(error) }, 'actor chain event not written; the subject chain has the grant'))
  }
  return { grantId: grant.id, system: system.name, scopes, expiresAt, credential: issued.credential, ...act }
}

/** The handles of an act claim, outermost (most recent) first. */
function actChain(act: ActClaim): string[] {
  const chain: string[] = []
  for (let link: ActClaim | undefined = act; link !== undefined; link = link.act) chain.push(link.sub)
  return chain
}
