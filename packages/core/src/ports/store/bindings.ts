import type { AuditDraft } from '../../audit/event.js'
import type { Binding } from '../../bindings/binding.js'
import type { Revocation } from '../../revocation/revocation.js'

/** How a put decides what it cuts. */
export interface BindingCutPolicy {
  /** The cut job's reason. */
  readonly reason?: string
  /**
   * Whether the new ceiling covers a grant's scopes, by the connector's own rules (pure; the
   * service passes its `narrow`). Absent: each scope must be an item of the ceiling.
   */
  readonly covers?: (scopes: readonly string[]) => boolean
}

export interface BindingPut {
  readonly action: 'binding.created' | 'binding.replaced'
  /** The job revoking the open grants the new binding does not cover, if there were any. */
  readonly revocation?: Revocation
}

/** An agent's bindings, one per system. Conformance: `testing/store/bindings.ts`. */
export interface BindingStore {
  /**
   * Atomic, one write: creates or replaces the agent's binding to `binding.system` as core's
   * `planBindingPut` decides (AgentNotActive for a revoked agent), opens one revocation job
   * (scope `binding`, id = `binding.id`, actor = `audit.actor`) for the open
   * grants of that agent on that system the new binding does not cover, and appends `audit` with the plan's action (`binding.created` /
   * `binding.replaced`) and `revocation_id` / `revoked_grants` when it cut. AgentNotFound if
   * there is no such agent; BindingConflict if `binding.exclusiveKey` is set and another
   * agent holds an active binding with the same key on the same system.
   */
  putBinding(binding: Binding, audit: AuditDraft, policy?: BindingCutPolicy): Promise<BindingPut>
  getBinding(handle: string, system: string): Promise<Binding | undefined>
  listBindings(handle: string): Promise<Binding[]>
}
