import type { Agent } from '../agents/agent.js'
import type { Grant, GrantStatus } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { AgentStore, GrantStore } from '../ports/store/index.js'
import { mustGetAgent } from './context.js'

/** Grants as records: listing, whois, and reconciling those a crash left pending. Issuing one is
 * the exchange (services/tokens.ts); ending one is a revocation. */
export interface GrantService {
  listGrants(handle: string, status?: GrantStatus): Promise<Grant[]>
  whois(key: string, value: string): Promise<Array<{ agent: Agent; grant: Grant }>>
  /** Grants left `pending` by a crash: marked failed and reported (the upstream ref is unknown). */
  reconcile(olderThanMs: number): Promise<Grant[]>
}

export function createGrantService(deps: { store: AgentStore & GrantStore; clock: Clock; log: Logger }): GrantService {
  const { store, clock } = deps
  return {
    async listGrants(handle, status) {
      await mustGetAgent(store, handle)
      return store.listGrants(handle, status)
    },
    async whois(key, value) {
      const grants = await store.findGrants(key, value)
      const found: Array<{ agent: Agent; grant: Grant }> = []
      for (const grant of grants) {
        const agent = await store.getAgent(grant.handle)
        if (agent) found.push({ agent, grant })
      }
      return found
    },
    async reconcile(olderThanMs) {
      const stale = await store.listPendingGrants(new Date(clock.now().getTime() - olderThanMs))
      const settled: Grant[] = []
      for (const grant of stale) {
        const error = 'interrupted before the upstream answered; its upstream state is unknown'
        deps.log.warn({ grant_id: grant.id, handle: grant.handle, system: grant.system }, 'reconciling a grant left pending by a crash')
        settled.push(
          await store.settleGrant(grant.handle, grant.id, { status: 'failed', error }, { at: clock.now(), actor: 'system', action: 'grant.reconciled', target: grant.id, outcome: 'failure', details: { system: grant.system, error } }),
        )
      }
      return settled
    },
  }
}
