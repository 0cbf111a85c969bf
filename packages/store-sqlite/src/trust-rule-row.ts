import type { TrustRule, TrustRuleShape } from '@lanyard/core'

/** A row of `trust_rules` (migration 0004). */
export interface TrustRuleRow {
  id: string
  handle: string
  issuer: string
  audience: string
  subject: string
  claims: string
  shape: string | null
  created_at: number
}

export function toTrustRule(row: TrustRuleRow): TrustRule {
  return {
    id: row.id,
    handle: row.handle,
    issuer: row.issuer,
    audience: row.audience,
    subject: row.subject,
    claims: JSON.parse(row.claims) as TrustRule['claims'],
    ...(row.shape === null ? {} : { shape: row.shape as TrustRuleShape }),
    createdAt: new Date(row.created_at),
  }
}
