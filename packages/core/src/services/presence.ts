import { createHash, randomUUID } from 'node:crypto'
import { PresenceNotFound, RateLimited, RequestInvalid } from '../errors.js'
import type { Agent } from '../agents/agent.js'
import { isHandle } from '../agents/handle.js'
import type { Clock } from '../ports/clock.js'
import type { RateLimiter, RatePolicy } from '../ports/rate-limiter.js'
import type { AgentPresence, AgentStore, BindingStore, MisuseReport, PresenceStore, PresenceVisibility } from '../ports/store/index.js'
import { signJwt } from '../tokens/sign-jwt.js'
import type { KeyRing } from '../tokens/key-ring.js'
import { auditDraft, mustGetAgent } from './context.js'

/** JOSE `typ` of an agent card (RFC 8725 §3.11: never mistaken for a handle token or a SET). */
export const agentCardType = 'lanyard-agent-card+jwt'

export interface PresenceSettings {
  /** Replace the owner's local part with `***` on cards: `***@acme.dev`. */
  readonly maskOwner: boolean
  /** Put bindings' targets and ceilings on cards; by default systems are named only. */
  readonly showBindingDetails: boolean
  /** Card lifetime: a stale card dies by itself this soon. */
  readonly cardTtlSeconds: number
  /** Per source (a digest of its address) and per agent. Refusals are RateLimited (429). */
  readonly reportRateLimits: { readonly perSource: RatePolicy; readonly perAgent: RatePolicy }
}

/** What an admin sets; absent members keep their current value, `null` clears one. */
export interface PresenceInput {
  readonly presence?: PresenceVisibility
  readonly displayName?: string | null
  readonly description?: string | null
  readonly escalationContact?: string | null
}

export interface NewReport {
  readonly handle: string
  /** Where the request came from (an IP address); only its salted digest is kept. */
  readonly source: string
  readonly category: string
  readonly text: string
  readonly contact?: string
  readonly evidence?: string
}

/** A public agent as the world sees it: the agent and its presence, both current. */
export interface PublicAgent {
  readonly agent: Agent
  readonly presence: AgentPresence
}

/** Presence at the handle (#21): the profile, the signed card, live status, misuse reports. */
export interface PresenceService {
  /** Sets the agent's presence (merged over the current one) and audits it as `presence.set`. */
  setPresence(actor: string, handle: string, input: PresenceInput): Promise<AgentPresence>
  /** The agent's presence; `private` with nothing to show when none was set. AgentNotFound. */
  getPresence(handle: string): Promise<AgentPresence>
  /**
   * The agent, only if its presence is public. PresenceNotFound, alike in message and in the
   * store reads made, for a malformed handle, an unknown one and a private agent: an outsider
   * learns nothing about which handles exist.
   */
  resolvePublic(handle: string): Promise<PublicAgent>
  /** The agent card (a JWT signed by the broker, `typ` lanyard-agent-card+jwt). PresenceNotFound as resolvePublic. */
  agentCard(handle: string): Promise<string>
  /** Records a misuse report about a public agent, rate-limited per source and per agent. */
  reportMisuse(input: NewReport): Promise<MisuseReport>
  /** Newest first. AgentNotFound. */
  listReports(handle: string, limit?: number): Promise<MisuseReport[]>
}

const maxDisplayName = 128
const maxDescription = 1024
const maxContact = 512
const categories = ['impersonation', 'abuse', 'spam', 'security', 'other'] as const

/** An https URL or a mailto: address: where a person can report the agent. */
function checkContact(value: string): string | undefined {
  if (value.length > maxContact) return `escalationContact: longer than ${maxContact} characters`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'escalationContact: expected an https URL or a mailto: address'
  }
  if (url.protocol === 'mailto:') return /^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(url.pathname) ? undefined : 'escalationContact: mailto: needs one address'
  if (url.protocol !== 'https:') return 'escalationContact: expected an https URL or a mailto: address'
  if (url.username !== '' || url.password !== '') return 'escalationContact: must not carry credentials'
  return undefined
}

/** Throws RequestInvalid listing every field out of bounds. Pure: callers check before they write anything. */
export function checkPresenceInput(input: PresenceInput): void {
  const issues: string[] = []
  if (typeof input.displayName === 'string' && (input.displayName.length === 0 || input.displayName.length > maxDisplayName)) issues.push(`displayName: 1-${maxDisplayName} characters`)
  if (typeof input.description === 'string' && input.description.length > maxDescription) issues.push(`description: at most ${maxDescription} characters`)
  if (typeof input.escalationContact === 'string') {
    const issue = checkContact(input.escalationContact)
    if (issue !== undefined) issues.push(issue)
  }
  if (issues.length > 0) throw new RequestInvalid(issues)
}

function maskedOwner(owner: string): string {
  return `***${owner.slice(owner.indexOf('@'))}`
}

export function createPresenceService(deps: {
  store: AgentStore & BindingStore & PresenceStore
  keys: KeyRing
  limiter: RateLimiter
  clock: Clock
  issuer: string
  settings: PresenceSettings
}): PresenceService {
  const { store, clock, issuer, settings } = deps
  const base = (handle: string): AgentPresence => ({ handle, presence: 'private', updatedAt: clock.now() })

  async function resolvePublic(handle: string): Promise<PublicAgent> {
    if (!isHandle(handle)) throw new PresenceNotFound(handle)
    // Both reads, always, in parallel: an unknown handle costs what a private agent costs.
    const [agent, presence] = await Promise.all([store.getAgent(handle), store.getPresence(handle)])
    if (agent === undefined || presence?.presence !== 'public') throw new PresenceNotFound(handle)
    return { agent, presence }
  }

  return {
    async setPresence(actor, handle, input) {
      const agent = await mustGetAgent(store, handle)
      checkPresenceInput(input)
      const current = (await store.getPresence(agent.handle)) ?? base(agent.handle)
      const pick = (key: 'displayName' | 'description' | 'escalationContact') => {
        const value = input[key] === undefined ? current[key] : input[key]
        return value === null || value === undefined ? {} : { [key]: value }
      }
      const next: AgentPresence = {
        handle: agent.handle,
        presence: input.presence ?? current.presence,
        ...pick('displayName'),
        ...pick('description'),
        ...pick('escalationContact'),
        updatedAt: clock.now(),
      }
      const { updatedAt: _at, handle: _h, ...details } = next
      await store.putPresence(next, auditDraft(clock, actor, 'presence.set', agent.handle, details))
      return next
    },

    async getPresence(handle) {
      const agent = await mustGetAgent(store, handle)
      return (await store.getPresence(agent.handle)) ?? base(agent.handle)
    },

    resolvePublic,

    async agentCard(handle) {
      const { agent, presence } = await resolvePublic(handle)
      const [keys, bindings] = await Promise.all([store.listKeys(agent.handle), store.listBindings(agent.handle)])
      const now = clock.now()
      const owner = settings.maskOwner ? maskedOwner(agent.owner) : agent.owner
      const path = `${issuer}/agents/${encodeURIComponent(agent.handle)}`
      // A2A AgentCard members where A2A has one (name, description, provider, url, version);
      // the rest is Lanyard's, snake_case like the broker's other wire bodies.
      const card = {
        handle: agent.handle,
        name: presence.displayName ?? agent.handle,
        ...(presence.description === undefined ? {} : { description: presence.description }),
        provider: { organization: agent.owner.slice(agent.owner.indexOf('@') + 1), url: issuer },
        owner,
        jwks: { keys: keys.map((k) => ({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' })) },
        systems: bindings.map((b) => (settings.showBindingDetails ? { name: b.system, target: b.target, scopes: b.ceiling } : { name: b.system })),
        trust_tier: agent.tier,
        escalation: { ...(presence.escalationContact === undefined ? {} : { contact: presence.escalationContact }), report_url: `${path}/report` },
        status: agent.status,
        generation: agent.generation,
        status_url: `${path}/status`,
      }
      return signJwt(deps.keys, { alg: 'ES256', typ: agentCardType }, { issuer, subject: agent.handle, issuedAt: now, expiresAt: new Date(now.getTime() + settings.cardTtlSeconds * 1000), jti: randomUUID() }, card)
    },

    async reportMisuse(input) {
      const sourceDigest = createHash('sha256').update(`${issuer}\n${input.source}`).digest('hex')
      const bySource = await deps.limiter.take(`report:source:${sourceDigest}`, settings.reportRateLimits.perSource)
      if (!bySource.allowed) throw new RateLimited(bySource.retryAfterSeconds)
      const { agent } = await resolvePublic(input.handle)
      const byAgent = await deps.limiter.take(`report:agent:${agent.handle}`, settings.reportRateLimits.perAgent)
      if (!byAgent.allowed) throw new RateLimited(byAgent.retryAfterSeconds)
      if (!(categories as readonly string[]).includes(input.category)) throw new RequestInvalid([`category: one of ${categories.join(', ')}`])
      const report: MisuseReport = {
        id: randomUUID(),
        handle: agent.handle,
        receivedAt: clock.now(),
        sourceDigest,
        category: input.category,
        text: input.text,
        ...(input.contact === undefined ? {} : { contact: input.contact }),
        ...(input.evidence === undefined ? {} : { evidence: input.evidence }),
      }
      await store.addReport(report)
      return report
    },

    async listReports(handle, limit) {
      const agent = await mustGetAgent(store, handle)
      return store.listReports(agent.handle, limit)
    },
  }
}
