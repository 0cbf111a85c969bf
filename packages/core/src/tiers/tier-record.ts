import type { Agent, TrustTier } from '../agents/agent.js'
import type { RatePolicy } from '../ports/rate-limiter.js'

/** What counts as evidence against an agent. Each drops it one tier, or to 0 when `severe`. */
export type IncidentRule = 'refused-burst' | 'rate-limit-burst' | 'approval-denied' | 'grant-revoked' | 'reported'

/** A count of events since `startMs`, for the burst rules. */
export interface BurstWindow {
  readonly startMs: number
  readonly count: number
}

/**
 * An agent's trust record: the counters its tier is decided from, kept per agent so that
 * deciding is O(1) (no scan of grants or audit on the exchange path). `grants`,
 * `approvalsGranted` and `incidents` count since the agent reached its tier (`since`): a
 * demoted agent earns its way up again from zero.
 */
export interface TierRecord {
  readonly handle: string
  readonly tier: TrustTier
  readonly since: Date
  /** Why the agent is at this tier, in words (the rule or the admin's reason). */
  readonly reason: string
  readonly grants: number
  readonly approvalsGranted: number
  readonly incidents: number
  readonly totalIncidents: number
  readonly refusals: BurstWindow
  readonly rateHits: BurstWindow
  readonly lastIncident?: { readonly at: Date; readonly rule: IncidentRule; readonly reason: string }
}

export interface PromotionRule {
  readonly to: 1 | 2
  readonly after: { readonly days: number; readonly grants: number; readonly incidents: number; readonly approvalsGranted?: number }
}

/** The broker's `trust:` configuration, as the use cases get it. */
export interface TrustPolicy {
  readonly promote: readonly PromotionRule[]
  /** Rules that drop the agent to tier 0 rather than one tier. */
  readonly severe: readonly IncidentRule[]
  /** Total incidents at which the agent is suspended outright; absent: never. */
  readonly suspendAt?: number
  readonly refusalBurst: { readonly threshold: number; readonly windowSeconds: number }
  readonly rateLimitBurst: { readonly threshold: number; readonly windowSeconds: number }
  /** Per-tier caps applied in the exchange. */
  readonly tiers: Readonly<Partial<Record<TrustTier, { readonly maxTtlSeconds?: number; readonly exchangeRate?: RatePolicy }>>>
}

export type TierEvent =
  | { readonly kind: 'grant'; readonly approved: boolean }
  /** An exchange refused as invalid_scope or binding_not_found. */
  | { readonly kind: 'refusal' }
  | { readonly kind: 'rate-hit' }
  | { readonly kind: 'incident'; readonly rule: IncidentRule; readonly reason: string }
  /** An admin's setting; the only way to tier 3. */
  | { readonly kind: 'set'; readonly tier: TrustTier; readonly reason: string }

export interface TierChange {
  readonly from: TrustTier
  readonly to: TrustTier
  /** `promotion`, `admin`, or the incident rule. */
  readonly rule: string
  readonly reason: string
}

export interface TierStep {
  readonly record: TierRecord
  readonly change?: TierChange
  /** The incident that this step recorded, if any. */
  readonly incident?: { readonly rule: IncidentRule; readonly reason: string }
  /** `suspendAt` reached: the caller suspends the agent. */
  readonly suspend?: boolean
}

const dayMs = 86_400_000

/** The record of an agent that has none yet: at its tier since it was created. */
export function initialTierRecord(agent: Agent): TierRecord {
  return {
    handle: agent.handle, tier: agent.tier, since: agent.createdAt, reason: `created at tier ${agent.tier}`,
    grants: 0, approvalsGranted: 0, incidents: 0, totalIncidents: 0, refusals: { startMs: 0, count: 0 }, rateHits: { startMs: 0, count: 0 },
  }
}

/** What the next promotion needs, and what is still missing; undefined at the top of the ladder. */
export function nextPromotion(record: TierRecord, policy: TrustPolicy, at: Date): { rule: PromotionRule; missing: string[] } | undefined {
  const rule = policy.promote.filter((r) => r.to > record.tier).sort((a, b) => a.to - b.to)[0]
  if (rule === undefined) return undefined
  const missing: string[] = []
  const days = (at.getTime() - record.since.getTime()) / dayMs
  if (days < rule.after.days) missing.push(`${Math.ceil((rule.after.days - days) * 24)} more hours at tier ${record.tier} (${rule.after.days} days)`)
  if (record.grants < rule.after.grants) missing.push(`${rule.after.grants - record.grants} more grants (${rule.after.grants})`)
  if (record.incidents > rule.after.incidents) missing.push(`at most ${rule.after.incidents} incidents at this tier (has ${record.incidents})`)
  const approvals = rule.after.approvalsGranted ?? 0
  if (record.approvalsGranted < approvals) missing.push(`${approvals - record.approvalsGranted} more approved exchanges (${approvals})`)
  return { rule, missing }
}

function counted(window: BurstWindow, at: Date, windowSeconds: number): BurstWindow {
  const now = at.getTime()
  return now - window.startMs >= windowSeconds * 1000 ? { startMs: now, count: 1 } : { startMs: window.startMs, count: window.count + 1 }
}

function moved(record: TierRecord, to: TrustTier, at: Date, reason: string): TierRecord {
  return { ...record, tier: to, since: at, reason, grants: 0, approvalsGranted: 0, incidents: 0 }
}

/**
 * One event applied to the record, and the tier change it causes, by these rules:
 * (1) a grant counts, then the ladder is checked: the lowest rung above the tier whose `after`
 *     is met promotes (never to 3; the ladder config refuses it);
 * (2) refusals and rate-limit hits count in their window; reaching the threshold is an incident
 *     (`refused-burst`, `rate-limit-burst`) and starts the window again;
 * (3) an incident drops one tier, or to 0 when its rule is `severe`, and counts; at `suspendAt`
 *     total incidents the step says suspend;
 * (4) an admin sets any tier.
 */
export function stepTier(record: TierRecord, event: TierEvent, policy: TrustPolicy, at: Date): TierStep {
  switch (event.kind) {
    case 'grant': {
      const next = { ...record, grants: record.grants + 1, approvalsGranted: record.approvalsGranted + (event.approved ? 1 : 0) }
      const promotion = nextPromotion(next, policy, at)
      if (promotion === undefined || promotion.missing.length > 0) return { record: next }
      const reason = `promoted: ${promotion.rule.after.days} days, ${next.grants} grants, ${next.incidents} incidents, ${next.approvalsGranted} approved exchanges at tier ${record.tier}`
      return { record: moved(next, promotion.rule.to, at, reason), change: { from: record.tier, to: promotion.rule.to, rule: 'promotion', reason } }
    }
    case 'refusal': {
      const refusals = counted(record.refusals, at, policy.refusalBurst.windowSeconds)
      if (refusals.count < policy.refusalBurst.threshold) return { record: { ...record, refusals } }
      return incident({ ...record, refusals: { startMs: at.getTime(), count: 0 } }, 'refused-burst', `${refusals.count} refused exchanges within ${policy.refusalBurst.windowSeconds} s`, policy, at)
    }
    case 'rate-hit': {
      const rateHits = counted(record.rateHits, at, policy.rateLimitBurst.windowSeconds)
      if (rateHits.count < policy.rateLimitBurst.threshold) return { record: { ...record, rateHits } }
      return incident({ ...record, rateHits: { startMs: at.getTime(), count: 0 } }, 'rate-limit-burst', `${rateHits.count} rate-limited exchanges within ${policy.rateLimitBurst.windowSeconds} s`, policy, at)
    }
    case 'incident':
      return incident(record, event.rule, event.reason, policy, at)
    case 'set': {
      if (event.tier === record.tier) return { record: { ...record, reason: event.reason } }
      return { record: moved(record, event.tier, at, `set by an admin: ${event.reason}`), change: { from: record.tier, to: event.tier, rule: 'admin', reason: event.reason } }
    }
  }
}

function incident(record: TierRecord, rule: IncidentRule, reason: string, policy: TrustPolicy, at: Date): TierStep {
  const to: TrustTier = policy.severe.includes(rule) ? 0 : (Math.max(0, record.tier - 1) as TrustTier)
  const totalIncidents = record.totalIncidents + 1
  const counted = { ...record, totalIncidents, lastIncident: { at, rule, reason } }
  const suspend = policy.suspendAt !== undefined && totalIncidents >= policy.suspendAt
  const why = `demoted on incident ${rule}: ${reason}`
  const next = to === record.tier ? { ...counted, incidents: record.incidents + 1 } : { ...moved(counted, to, at, why), incidents: 1 }
  return { record: next, incident: { rule, reason }, ...(to === record.tier ? {} : { change: { from: record.tier, to, rule, reason } }), ...(suspend ? { suspend } : {}) }
}
