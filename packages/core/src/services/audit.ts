import { verifyAuditChain, type ChainVerdict } from '../audit/chain.js'
import type { AuditEvent } from '../audit/event.js'
import type { AgentStore, AuditStore } from '../ports/store/index.js'
import { mustGetAgent } from './context.js'

/** Each agent's audit chain, read and verified. Every other service appends to it. */
export interface AuditService {
  readAudit(handle: string, options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
  verifyAudit(handle: string): Promise<ChainVerdict>
}

export function createAuditService(deps: { store: AgentStore & AuditStore }): AuditService {
  const { store } = deps
  return {
    async readAudit(handle, options) {
      await mustGetAgent(store, handle)
      return store.readAudit(handle, options)
    },
    async verifyAudit(handle) {
      await mustGetAgent(store, handle)
      // Head first, then the events: an event appended in between lies past the head and
      // still chains on; a chain that stops short of the head was cut.
      const head = await store.readAuditHead(handle)
      if (head === undefined) return { ok: false, brokenAt: 1, reason: 'no chain head is recorded for the agent' }
      return verifyAuditChain(await store.readAudit(handle), head)
    },
  }
}
