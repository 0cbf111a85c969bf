import type { Approval } from '@lanyard/core'
import type { HandleSubject, SetBody } from './set.js'

/** Lanyard's own SET event type (RFC 8417 §2.2: a URI the transmitter controls). */
export const approvalRequested = 'https://lanyard.dev/secevent/approval-requested'
export const approvalEventKinds = ['approval.requested'] as const

/**
 * The SET announcing one approval request, so that a chat bridge can post it with approve and
 * deny links. It carries what the person is asked to approve (agent, system, exact scopes, the
 * agent's reason) and where to decide; no credential, nothing secret. `txn` is the approval id.
 */
export function approvalSet(approval: Approval, issuer: string): SetBody {
  const subject: HandleSubject = { format: 'iss_sub', iss: issuer, sub: approval.handle }
  const base = `${issuer.replace(/\/$/, '')}/v1/approvals/${encodeURIComponent(approval.id)}`
  return {
    sub_id: subject,
    events: {
      [approvalRequested]: {
        approval_id: approval.id,
        system: approval.system,
        scopes: approval.scopes,
        approvers: approval.approvers,
        ...(approval.reason === undefined ? {} : { reason: approval.reason }),
        event_timestamp: Math.floor(approval.requestedAt.getTime() / 1000),
        expires_at: Math.floor(approval.expiresAt.getTime() / 1000),
        approval_uri: base,
        approve_uri: `${base}/approve`,
        deny_uri: `${base}/deny`,
      },
    },
  }
}
