import { randomUUID } from 'node:crypto'
import { BindingInvalid, RequestInvalid, SystemUnknown, isLanyardError } from '../errors.js'
import type { Binding } from '../bindings/binding.js'
import type { Systems } from '../exchange/connectors.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import { validateStandard } from '../ports/standard-schema.js'
import type { AgentStore, AuditStore, BindingStore } from '../ports/store/index.js'
import { auditDraft, mustGetAgent } from './context.js'

export interface NewBinding {
  readonly system: string
  readonly target: unknown
  readonly ceiling: readonly string[]
  readonly minTier?: number
}

/** An agent's bindings to systems. Revoking what a binding issued is a revocation. */
export interface BindingService {
  bind(actor: string, handle: string, input: NewBinding): Promise<Binding>
  listBindings(handle: string): Promise<Binding[]>
}

export function createBindingService(deps: { store: AgentStore & BindingStore & AuditStore; systems: Systems; clock: Clock; log: Logger; upstreamTimeoutMs: number }): BindingService {
  const { store, systems, clock } = deps
  return {
    async bind(actor, handle, input) {
      const agent = await mustGetAgent(store, handle)
      const system = systems.get(input.system)
      if (system === undefined) throw new SystemUnknown(input.system)
      if (!Array.isArray(input.ceiling) || input.ceiling.length === 0 || !input.ceiling.every((s) => typeof s === 'string')) throw new RequestInvalid(['ceiling: expected a non-empty array of scope strings'])
      for (const scope of input.ceiling) if (!system.definition.scopes.isKnown(scope)) throw new BindingInvalid(`scope "${scope}" is not known to system "${system.name}"`)
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
      const binding: Binding = { id: randomUUID(), handle: agent.handle, system: system.name, target, ceiling: [...input.ceiling], minTier: input.minTier ?? 0, createdAt: clock.now() }
      await store.putBinding(binding, auditDraft(clock, actor, 'binding.put', agent.handle, { system: system.name, binding_id: binding.id, ceiling: binding.ceiling, min_tier: binding.minTier }))
      return binding
    },
    async listBindings(handle) {
      await mustGetAgent(store, handle)
      return store.listBindings(handle)
    },
  }
}
