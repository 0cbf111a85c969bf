import type { AuditDraft } from '../../audit/event.js'
import type { Binding } from '../../bindings/binding.js'

/** An agent's bindings, one per system. Conformance: `testing/store/bindings.ts`. */
export interface BindingStore {
  /** Creates or replaces the agent's binding to `binding.system`. AgentNotFound if there is no such agent. */
  putBinding(binding: Binding, audit: AuditDraft): Promise<void>
  getBinding(handle: string, system: string): Promise<Binding | undefined>
  listBindings(handle: string): Promise<Binding[]>
}
