import { randomUUID } from 'node:crypto'
import { AgentNotActive, BindingInvalid, RequestInvalid, SystemUnknown, isLanyardError } from '../errors.js'
import type { ApprovalPolicy } from '../approvals/approval.js'
import type { Binding } from '../bindings/binding.js'
import type { Systems } from '../exchange/connectors.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import { validateStandard } from '../ports/standard-schema.js'
import type { AgentStore, AuditStore, BindingStore } from '../ports/store/index.js'
import type { Revocation } from '../revocation/revocation.js'
import { auditDraft, mustGetAgent } from './context.js'

export interface NewBinding {
  readonly system: string
  readonly target: unknown
  readonly ceiling: readonly string[]
  readonly minTier?: number
  /** Exchanges this policy names wait for a person (approvals/approval.ts). */
  readonly approval?: ApprovalPolicy
  /** Children of the agent may receive this binding, narrowed (#17). Absent: false. */
  readonly delegable?: boolean
}

/** A binding put: the binding, whether it replaced an active one, and the job cutting what it no longer covers. */
export interface Bound {
  readonly binding: Binding
  readonly replaced: boolean
  /** Open grants of the agent on that system the new binding does not cover (wider scopes, another target, a tier it no longer meets), being revoked. */
  readonly revocation?: Revocation
}

/** An agent's bindings to systems. Revoking or removing what a binding issued is a revocation (services/revocations.ts). */
export interface BindingService {
  /**
   * Creates the agent's binding to a system, or replaces it. A revoked agent gets none
   * (AgentNotActive). Open grants the new binding does not cover are revoked in the same write.
   */
  bind(actor: string, handle: string, input: NewBinding): Promise<Bound>
  listBindings(handle: string): Promise<Binding[]>
}

export interface BindingServiceDeps {
  readonly store: AgentStore & BindingStore & AuditStore
  readonly systems: Systems
  readonly clock: Clock
  readonly log: Logger
  readonly upstreamTimeoutMs: number
  /** A job this service opened (a replacement that cut grants): tell listeners, wake the cascade. */
  readonly announce: (revocation: Revocation) => void
}

export function createBindingService(deps: BindingServiceDeps): BindingService {
  const { store, systems, clock } = deps
  return {
    async bind(actor, handle, input) {
      const agent = await mustGetAgent(store, handle)
      // Early, before any upstream call; the store checks again in the binding's write.
      if (agent.status === 'revoked') throw new AgentNotActive(agent.handle, agent.status)
      const system = systems.get(input.system)
      if (system === undefined) throw new SystemUnknown(input.system)
      if (!Array.isArray(input.ceiling) || input.ceiling.length === 0 || !input.ceiling.every((s) => typeof s === 'string')) throw new RequestInvalid(['ceiling: expected a non-empty array of scope strings'])
      for (const scope of input.ceiling) if (!system.definition.scopes.isKnown(scope)) throw new BindingInvalid(`scope "${scope}" is not known to system "${system.name}"`)
      if (input.approval !== undefined) checkApprovalPolicy(input.approval, input.ceiling)
      const parsed = await validateStandard(system.definition.target, input.target, 'target')
      if ('issues' in parsed) throw new RequestInvalid(parsed.issues)
      let target: unknown
      try {
        target = await system.instance.validateBinding(parsed.value, input.ceiling, AbortSignal.timeout(deps.upstreamTimeoutMs))
      } catch (error) {
        // A refused binding (no such installation, a key that does not match the App) is on the record.
        if (isLanyardError(error)) {
          await store
            .appendAudit(agent.handle, { ...auditDraft(clock, actor, 'binding.refused', agent.handle, { system: system.name, code: error.code, reason: error.message }), outcome: 'failure' })
            .catch((auditError: unknown) => deps.log.warn({ handle: agent.handle, err: String(auditError) }, 'refused binding could not be audited'))
        }
        throw error
      }
      const exclusiveKey = system.definition.exclusiveTargetKey?.(target)
      const binding: Binding = {
        id: randomUUID(), handle: agent.handle, system: system.name, target, ceiling: [...input.ceiling], minTier: input.minTier ?? 0, createdAt: clock.now(), status: 'active',
        ...(input.approval === undefined ? {} : { approval: input.approval }),
        ...(exclusiveKey === undefined ? {} : { exclusiveKey }),
        ...(input.delegable === true ? { delegable: true } : {}),
      }
      // The store names the event (binding.created / binding.replaced) from what it finds in its write.
      // Covered: the new ceiling narrows to the grant's scopes, by the connector's own rules.
      const covers = (scopes: readonly string[]) => {
        try {
          system.instance.narrow(binding.ceiling, scopes)
          return true
        } catch {
          return false
        }
      }
      const put = await store.putBinding(
        binding,
        auditDraft(clock, actor, 'binding.created', agent.handle, { system: system.name, binding_id: binding.id, ceiling: binding.ceiling, min_tier: binding.minTier, ...(binding.delegable === true ? { delegable: true } : {}), ...(binding.approval === undefined ? {} : { approval: binding.approval }) }),
        { reason: 'binding replaced: open grants outside the new binding', covers },
      )
      if (put.revocation !== undefined) deps.announce(put.revocation)
      return { binding, replaced: put.action === 'binding.replaced', ...(put.revocation === undefined ? {} : { revocation: put.revocation }) }
    },
    async listBindings(handle) {
      await mustGetAgent(store, handle)
      return store.listBindings(handle)
    },
  }
}

const email = /^[^@\s]+@[^@\s]+$/

/** An approval policy names scopes of the ceiling (or "all"), at least one approver, a sane TTL. */
function checkApprovalPolicy(policy: ApprovalPolicy, ceiling: readonly string[]): void {
  const issues: string[] = []
  if (policy.scopes !== 'all') for (const scope of policy.scopes) if (!ceiling.includes(scope)) issues.push(`approval.scopes: "${scope}" is not in the ceiling`)
  if (policy.approvers.length === 0) issues.push('approval.approvers: at least one (owner, or an email)')
  for (const approver of policy.approvers) if (approver !== 'owner' && !email.test(approver)) issues.push(`approval.approvers: "${approver}" is neither owner nor an email`)
  if (!Number.isInteger(policy.ttlSeconds) || policy.ttlSeconds < 60 || policy.ttlSeconds > 604_800) issues.push('approval.ttl_seconds: an integer from 60 to 604800')
  if (policy.belowTier !== undefined && (!Number.isInteger(policy.belowTier) || policy.belowTier < 1 || policy.belowTier > 3)) issues.push('approval.below_tier: 1, 2 or 3')
  if (issues.length > 0) throw new RequestInvalid(issues)
}
