import { AgentNotFound } from '../errors.js'
import type { Agent } from '../agents/agent.js'
import { parseHandle } from '../agents/handle.js'
import type { AuditDraft } from '../audit/event.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentStore } from '../ports/store/index.js'

/** A successful action's audit event, stamped now. */
export function auditDraft(clock: Clock, actor: string, action: string, target: string, details: Record<string, unknown> = {}): AuditDraft {
  return { at: clock.now(), actor, action, target, outcome: 'success', details }
}

/** The agent; HandleInvalid for a malformed handle, AgentNotFound when there is none. */
export async function mustGetAgent(store: AgentStore, handle: string): Promise<Agent> {
  const agent = await store.getAgent(parseHandle(handle))
  if (agent === undefined) throw new AgentNotFound(handle)
  return agent
}

/** Tells other replicas' agent caches that `agent` changed. Best effort: caches elsewhere expire
 * or read through; correctness never waits on the bus. */
export async function publishChanged(deps: { bus: EventBus; log: Logger }, agent: Agent): Promise<Agent> {
  await deps.bus
    .publish({ type: 'agent.changed', handle: agent.handle, status: agent.status, generation: agent.generation })
    .catch((error: unknown) => deps.log.warn({ handle: agent.handle, err: String(error) }, 'agent change not published; other replicas read through'))
  return agent
}
