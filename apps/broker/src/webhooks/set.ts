import { signJwt, type KeyRing, type RevocationEvent, type RevocationTask } from '@lanyard/core'

/** JOSE `typ` of a Security Event Token (RFC 8417 §2.3); also the push content type's subtype. */
export const setType = 'secevent+jwt'
export const sessionRevoked = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked'
export const credentialChange = 'https://schemas.openid.net/secevent/caep/event-type/credential-change'
/** CAEP lets transmitter and receiver agree on credential types beyond its list; this one is a grant. */
export const grantCredentialType = 'lanyard-grant'

/** What a webhook can subscribe to: the two moments of a revocation job. */
export const revocationEventKinds = ['revocation.started', 'revocation.finished'] as const
/** Every kind a webhook can subscribe to: the revocation kinds (the default) and signed audit checkpoints (opt in). */
export const webhookEventKinds = [...revocationEventKinds, 'audit.checkpoint'] as const
export type WebhookEventKind = (typeof webhookEventKinds)[number]
/** The SET event type of a signed audit checkpoint (checkpoints.ts). */
export const auditCheckpointEvent = 'urn:lanyard:secevent:audit-checkpoint'

/**
 * The handle as an RFC 9493 `iss_sub` subject: exactly the `iss` and `sub` of the handle tokens
 * the relying party accepted, so it matches them without a mapping. Not `email`: a handle looks
 * like one but is no mailbox (the accountable mailbox is the owner). Not `opaque`: that drops
 * the issuer, and two brokers may name agents alike.
 */
export interface HandleSubject {
  readonly format: 'iss_sub'
  readonly iss: string
  readonly sub: string
}

/** RFC 9493 `opaque`: the subject of an audit checkpoint SET is the checkpoint itself (its id). */
export interface OpaqueSubject {
  readonly format: 'opaque'
  readonly id: string
}

/** One SET's subject and events, before `iss`, `aud`, `iat`, `jti` and `txn` are added. */
export interface SetBody {
  readonly sub_id: HandleSubject | OpaqueSubject
  readonly events: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)

/** CAEP `initiating_entity`: admin, user, policy or system. Admin API callers are `admin:*`. */
function initiatingEntity(actor: string): 'admin' | 'system' {
  return actor.startsWith('admin') ? 'admin' : 'system'
}

/**
 * The CAEP events one revocation event stands for; each becomes one SET per webhook. A SET
 * holds one event per type (RFC 8417 §2.2 keys `events` by type URI), hence one SET per grant.
 * (1) started, scope agent (revoked, or suspended with its grants cut): `session-revoked` for the
 *     handle: from now on no replica accepts its handle tokens.
 * (2) started, scope binding or grant: `credential-change` / `revoke` for each grant in scope.
 * (3) finished, any scope: `credential-change` / `revoke` for each grant now dead upstream
 *     (outcome `revoked` or `expired`). Grants that are not (unrevocable until expiry, failed)
 *     get no event: announcing them revoked would be false; the receipt reports them.
 * A receiver subscribed to both kinds sees a binding or grant revocation twice, decided then
 * done: `txn` (the revocation id) and `friendly_name` (system/grant) tie the two together.
 */
export function revocationSets(event: RevocationEvent, issuer: string): SetBody[] {
  const { revocation } = event
  const subject: HandleSubject = { format: 'iss_sub', iss: issuer, sub: revocation.scope.handle }
  const common = {
    subject,
    initiating_entity: initiatingEntity(revocation.actor),
    reason_admin: { en: revocation.reason },
  }
  if (event.type === 'revocation.started') {
    const at = { event_timestamp: seconds(revocation.createdAt) }
    if (revocation.scope.kind === 'agent') return [{ sub_id: subject, events: { [sessionRevoked]: { ...common, ...at } } }]
    return revocation.tasks.map((task) => grantRevoked(task, { ...common, ...at }))
  }
  const at = { event_timestamp: seconds(revocation.finishedAt ?? revocation.createdAt) }
  return revocation.tasks.filter((task) => task.outcome?.kind === 'revoked' || task.outcome?.kind === 'expired').map((task) => grantRevoked(task, { ...common, ...at }))
}

function grantRevoked(task: RevocationTask, common: { readonly subject: HandleSubject } & Record<string, unknown>): SetBody {
  return {
    sub_id: common.subject,
    events: { [credentialChange]: { ...common, credential_type: grantCredentialType, change_type: 'revoke', friendly_name: `${task.system}/${task.grantId}` } },
  }
}

export interface SetClaims {
  readonly issuer: string
  /** The webhook URL: RFC 8417 §2.2 `aud`, so a SET replayed to another receiver is refused there. */
  readonly audience: string
  readonly jti: string
  /** The revocation id: RFC 8417 §2.2 `txn` ties every SET of one revocation together. */
  readonly txn: string
  readonly issuedAt: Date
}

/**
 * Signs one SET with the broker's current ES256 key, verifiable against /.well-known/jwks.json.
 * ES256 rather than the EdDSA of handle tokens: SET receivers are off-the-shelf SSF stacks, and
 * ES256 and RS256 are what they all verify. No `exp` and no `sub` (RFC 8417 §2.2: a SET states a
 * fact; its subject is `sub_id`).
 */
export async function signSet(keys: KeyRing, claims: SetClaims, body: SetBody): Promise<string> {
  return signJwt(keys, { alg: 'ES256', typ: setType }, { issuer: claims.issuer, audience: claims.audience, issuedAt: claims.issuedAt, jti: claims.jti }, { ...body, txn: claims.txn })
}
