import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import { AgentNotActive, ChildLimitReached, DelegationDenied, DelegationDepthExceeded, RequestInvalid, SystemUnknown } from '../errors.js'
import type { Agent, AgentKey } from '../agents/agent.js'
import { parseHandle } from '../agents/handle.js'
import { parseAgentKey } from '../agents/keys.js'
import type { Binding } from '../bindings/binding.js'
import type { Systems } from '../exchange/connectors.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { AgentStore, AuditStore, BindingStore, DelegationRule, DelegationStore } from '../ports/store/index.js'
import type { Revocation } from '../revocation/revocation.js'
import { auditDraft, mustGetAgent } from './context.js'

export interface DelegationSettings {
  /** A root agent is depth 0, its children depth 1; no agent at `maxDepth` spawns. */
  readonly maxDepth: number
  /** Children not revoked, per parent. */
  readonly maxChildren: number
}

export const defaultDelegationSettings: DelegationSettings = { maxDepth: 3, maxChildren: 100 }

export interface NewChild {
  /** The child's own name; its handle is `<name>.<parent local part>@<parent domain>`. */
  readonly name: string
  /** Per system, the scopes the child may ever hold: inside the parent's delegable binding. */
  readonly ceilings: Readonly<Record<string, readonly string[]>>
  readonly ttlSeconds?: number
  readonly labels?: Record<string, string>
  /** The child's public key; absent, the broker makes a key pair and returns the private half once. */
  readonly publicJwk?: unknown
}

export interface SpawnedChild {
  readonly agent: Agent
  readonly bindings: readonly Binding[]
  readonly key: AgentKey
  /** Only when the broker made the key pair: shown once, never stored. */
  readonly privateJwk?: Record<string, unknown>
}

/** Sub-agents (#17): a parent spawns children within its own delegable ceilings, and acts on them. */
export interface DelegationService {
  /**
   * Spawns a child of `parent` (active), owned by the parent's owner, at the parent's tier, with
   * one binding per system named: the parent's target, the requested ceiling, which must be
   * inside the parent's binding as that connector's `narrow` judges and the binding `delegable`
   * (DelegationDenied otherwise). DelegationDepthExceeded past `maxDepth`, ChildLimitReached past
   * `maxChildren`. Everything is checked before anything is written.
   */
  spawnChild(actor: string, parent: string, input: NewChild): Promise<SpawnedChild>
  listChildren(parent: string): Promise<Agent[]>
  /** The agent `child`, if `parent` is its parent; DelegationDenied `not-parent` otherwise. */
  childOf(parent: string, child: string): Promise<Agent>
  /**
   * One pass over children that are not revoked: revokes those whose TTL lapsed (each with its
   * own job and receipt), and repairs a tree cut a crash interrupted (a child of a revoked parent
   * is revoked, an active child of a suspended parent suspended). Returns the handles it cut.
   */
  sweepChildren(): Promise<string[]>
  /**
   * Sets (or replaces) the rule letting `input.actor` act for `subject` (RFC 8693 actor_token):
   * on `systems`, within `scopes`, until `expiresAt`. Both agents must exist; the subject's next
   * handle tokens name the actor in `may_act`. Audited on both chains.
   */
  setDelegation(by: string, subject: string, input: NewDelegation): Promise<DelegationRule>
  listDelegations(subject: string): Promise<DelegationRule[]>
}

export interface NewDelegation {
  readonly actor: string
  readonly systems: readonly string[]
  readonly scopes: readonly string[]
  readonly expiresAt: Date
}

export interface DelegationServiceDeps {
  readonly store: AgentStore & BindingStore & AuditStore & DelegationStore
  readonly systems: Systems
  readonly clock: Clock
  readonly log: Logger
  readonly settings: DelegationSettings
  /** A job a binding put opened (never for a new child, which holds no grant): wake the cascade. */
  readonly announce: (revocation: Revocation) => void
  /** The composed revoke (job, receipt, approvals cancelled). */
  readonly revoke: (actor: string, handle: string, reason: string) => Promise<unknown>
  /** The composed suspend (reaches the child's own descendants). */
  readonly suspend: (actor: string, handle: string, reason: string) => Promise<unknown>
}

const childName = /^[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?$/
const maxTtlSeconds = 365 * 86_400

/**
 * The child's handle: `<name>.<parent local>@<parent domain>`. It is still a handle (the local
 * part allows dots), so every system that takes a handle (AWS SourceIdentity, GitHub audit,
 * the presence routes) takes a child's unchanged, and reading it right to left gives the
 * lineage: `worker-1.deploy-bot@agents.acme.dev` is deploy-bot's worker-1. The name has no dot,
 * so each dot-separated label added is one generation. The stored `parent` decides, not the form.
 */
export function childHandle(parent: string, name: string): string {
  if (!childName.test(name)) throw new RequestInvalid(['name: 1-32 of a-z, 0-9, "_", "-", starting and ending alphanumeric (no ".")'])
  const at = parent.indexOf('@')
  return parseHandle(`${name}.${parent.slice(0, at)}${parent.slice(at)}`)
}

export function createDelegationService(deps: DelegationServiceDeps): DelegationService {
  const { store, systems, clock, settings } = deps

  async function depthOf(agent: Agent): Promise<number> {
    let depth = 0
    let current = agent
    while (current.parent !== undefined) {
      depth += 1
      // A cycle is impossible (a parent exists before its child); the bound is belt and braces.
      if (depth > 64) break
      current = await mustGetAgent(store, current.parent)
    }
    return depth
  }

  async function liveChildren(parent: string): Promise<number> {
    const [active, suspended] = await Promise.all([store.listAgents({ parent, status: 'active' }), store.listAgents({ parent, status: 'suspended' })])
    return active.length + suspended.length
  }

  /** The child's binding to `system`: checked against the parent's, nothing written. */
  async function childBinding(parent: Agent, handle: string, system: string, ceiling: readonly string[]): Promise<Binding> {
    const entry = systems.get(system)
    if (entry === undefined) throw new SystemUnknown(system)
    if (!Array.isArray(ceiling) || ceiling.length === 0 || !ceiling.every((s) => typeof s === 'string')) throw new RequestInvalid([`ceilings.${system}: expected a non-empty array of scope strings`])
    for (const scope of ceiling) if (!entry.definition.scopes.isKnown(scope)) throw new RequestInvalid([`ceilings.${system}: scope "${scope}" is not known to system "${system}"`])
    const own = await store.getBinding(parent.handle, system)
    if (own === undefined || own.status === 'revoked') throw new DelegationDenied(`"${parent.handle}" has no active binding to "${system}"`, 'not-bound')
    if (own.delegable !== true) throw new DelegationDenied(`the binding of "${parent.handle}" to "${system}" is not delegable`, 'not-delegable')
    // The target is the parent's: one that belongs to a single agent cannot be shared with a child.
    if (own.exclusiveKey !== undefined) throw new DelegationDenied(`the binding of "${parent.handle}" to "${system}" holds a target exclusive to one agent`, 'not-delegable')
    try {
      entry.instance.narrow(own.ceiling, ceiling)
    } catch (error) {
      throw new DelegationDenied(`ceilings.${system} is wider than the parent's binding`, 'wider-than-parent', { cause: error })
    }
    const approval = own.approval === undefined || own.approval.scopes === 'all' ? own.approval : { ...own.approval, scopes: own.approval.scopes.filter((s) => ceiling.includes(s)) }
    return {
      id: randomUUID(), handle, system, target: own.target, ceiling: [...ceiling], minTier: own.minTier, createdAt: clock.now(), status: 'active', delegable: true,
      ...(approval === undefined || (approval.scopes !== 'all' && approval.scopes.length === 0) ? {} : { approval }),
    }
  }

  return {
    async spawnChild(actor, parentHandle, input) {
      const parent = await mustGetAgent(store, parentHandle)
      if (parent.status !== 'active') throw new AgentNotActive(parent.handle, parent.status)
      const handle = childHandle(parent.handle, input.name)
      if (input.ttlSeconds !== undefined && (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 60 || input.ttlSeconds > maxTtlSeconds)) throw new RequestInvalid([`ttlSeconds: an integer from 60 to ${maxTtlSeconds}`])
      const depth = (await depthOf(parent)) + 1
      if (depth > settings.maxDepth) throw new DelegationDepthExceeded(parent.handle, settings.maxDepth)
      if ((await liveChildren(parent.handle)) >= settings.maxChildren) throw new ChildLimitReached(parent.handle, settings.maxChildren)
      const systemsNamed = Object.keys(input.ceilings)
      if (systemsNamed.length === 0) throw new RequestInvalid(['ceilings: name at least one system'])
      const bindings: Binding[] = []
      for (const system of systemsNamed) bindings.push(await childBinding(parent, handle, system, input.ceilings[system]!))
      const now = clock.now()
      let privateJwk: Record<string, unknown> | undefined
      let publicJwk = input.publicJwk
      if (publicJwk === undefined) {
        const pair = await generateKeyPair('EdDSA', { extractable: true })
        privateJwk = { ...(await exportJWK(pair.privateKey)) }
        publicJwk = await exportJWK(pair.publicKey)
      }
      const key = await parseAgentKey(handle, publicJwk, now)
      const agent: Agent = {
        handle, owner: parent.owner, status: 'active', tier: parent.tier, generation: 1, labels: { ...input.labels }, parent: parent.handle, createdAt: now, updatedAt: now,
        ...(input.ttlSeconds === undefined ? {} : { expiresAt: new Date(now.getTime() + input.ttlSeconds * 1000) }),
      }
      const ceilings = Object.fromEntries(bindings.map((b) => [b.system, b.ceiling]))
      const lapse = agent.expiresAt === undefined ? {} : { expires_at: agent.expiresAt.toISOString() }
      // The child's chain opens naming its parent; the parent's chain names the child: each links the other.
      await store.createAgent(agent, auditDraft(clock, actor, 'agent.created', handle, { owner: agent.owner, tier: agent.tier, labels: agent.labels, parent: parent.handle, depth, ceilings, ...lapse }))
      await store.appendAudit(parent.handle, auditDraft(clock, actor, 'child.spawned', parent.handle, { child: handle, depth, ceilings, ...lapse }))
      await store.addKey(key, auditDraft(clock, actor, 'key.added', handle, { kid: key.kid, alg: key.alg }))
      for (const binding of bindings) {
        const put = await store.putBinding(binding, auditDraft(clock, actor, 'binding.created', handle, { system: binding.system, binding_id: binding.id, ceiling: binding.ceiling, min_tier: binding.minTier, delegated_from: parent.handle }))
        if (put.revocation !== undefined) deps.announce(put.revocation)
      }
      // A store whose parent check is a read before the commit (Redis: the parent is in another
      // slot) may have let a child in just as the parent was cut: the child goes the same way.
      const after = await store.getAgent(parent.handle)
      if (after?.status !== 'active') {
        await deps.revoke('broker:tree', handle, `parent ${parent.handle} was cut while this child was spawned`)
        throw new AgentNotActive(parent.handle, after?.status ?? 'revoked')
      }
      return { agent, bindings, key, ...(privateJwk === undefined ? {} : { privateJwk }) }
    },
    async listChildren(parent) {
      const agent = await mustGetAgent(store, parent)
      return store.listAgents({ parent: agent.handle })
    },
    async childOf(parent, child) {
      const agent = await mustGetAgent(store, child)
      if (agent.parent !== parseHandle(parent)) throw new DelegationDenied(`"${agent.handle}" is not a child of "${parent}"`, 'not-parent')
      return agent
    },
    async setDelegation(by, subjectHandle, input) {
      const subject = await mustGetAgent(store, subjectHandle)
      const actor = await mustGetAgent(store, input.actor)
      const issues: string[] = []
      if (actor.handle === subject.handle) issues.push('actor: an agent does not act for itself')
      if (input.systems.length === 0) issues.push('systems: at least one')
      for (const system of input.systems) if (!systems.has(system)) issues.push(`systems: "${system}" is not configured`)
      if (input.scopes.length === 0) issues.push('scopes: at least one')
      for (const scope of input.scopes) if (!input.systems.some((system) => systems.get(system)?.definition.scopes.isKnown(scope))) issues.push(`scopes: "${scope}" is known to none of the systems`)
      const now = clock.now()
      if (!(input.expiresAt > now) || input.expiresAt.getTime() - now.getTime() > maxTtlSeconds * 1000) issues.push('expiresAt: in the future, within a year')
      if (issues.length > 0) throw new RequestInvalid(issues)
      const rule: DelegationRule = { subject: subject.handle, actor: actor.handle, systems: [...input.systems], scopes: [...input.scopes], expiresAt: input.expiresAt, createdBy: by, createdAt: now }
      const details = { subject: subject.handle, actor: actor.handle, systems: rule.systems, scopes: rule.scopes, expires_at: rule.expiresAt.toISOString() }
      await store.putDelegation(rule, auditDraft(clock, by, 'delegation.set', subject.handle, details))
      await store.appendAudit(actor.handle, auditDraft(clock, by, 'delegation.granted', actor.handle, details))
      return rule
    },
    async listDelegations(subject) {
      const agent = await mustGetAgent(store, subject)
      return store.listDelegations(agent.handle)
    },
    async sweepChildren() {
      const now = clock.now()
      const lapsed: string[] = []
      for (const status of ['active', 'suspended'] as const) {
        let after: string | undefined
        for (;;) {
          const page = await store.listAgents({ status, limit: 200, ...(after === undefined ? {} : { after }) })
          for (const agent of page) {
            if (agent.parent === undefined) continue
            const parent = await store.getAgent(agent.parent)
            try {
              if (agent.expiresAt !== undefined && agent.expiresAt <= now) await deps.revoke('broker:ttl', agent.handle, `child TTL lapsed at ${agent.expiresAt.toISOString()}`)
              else if (parent === undefined || parent.status === 'revoked') await deps.revoke('broker:tree', agent.handle, `parent ${agent.parent} is revoked`)
              else if (parent.status === 'suspended' && agent.status === 'active') await deps.suspend('broker:tree', agent.handle, `parent ${agent.parent} is suspended`)
              else continue
              lapsed.push(agent.handle)
            } catch (error) {
              // Another replica's sweep (or an admin) got there first: AgentNotActive. Others retry next pass.
              if (!(error instanceof AgentNotActive)) deps.log.warn({ handle: agent.handle, err: String(error) }, 'lapsed child not revoked; next pass retries')
            }
          }
          if (page.length < 200) break
          after = page.at(-1)?.handle
        }
      }
      return lapsed
    },
  }
}
