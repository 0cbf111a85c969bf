import { randomUUID } from 'node:crypto'
import type { Clock, KeyRing, Lanyard, Logger } from '@lanyard/core'
import { credentialChange, revocationSets, signSet } from '../webhooks/set.js'
import type { SetBody } from '../webhooks/set.js'

/** Where resource servers hold the stream; also the `aud` of every SET sent on it. */
export const revocationEventsPath = '/v1/events'

/**
 * Revocation events for resource servers (MCP servers protected by @lanyard/mcp), pushed as
 * the same CAEP SETs the webhooks deliver, over server-sent events. Chosen over webhooks for
 * resource servers: the connection is outbound from the server (no inbound URL to expose and
 * register), and a lost connection is visible to the server at once, which is what lets it
 * fall back to introspection instead of trusting silence. Events of this replica only: a
 * deployment of several replicas needs them relayed over the bus (TODO(#20)).
 */
export interface RevocationStream {
  readonly audience: string
  /** Each signed SET is handed to `send`; returns the unsubscribe function. */
  subscribe(send: (set: string) => void): () => void
  /** An access token revoked on its own (the mcp connector's revoke): `credential-change` for its jti. */
  publishToken(token: { readonly jti: string; readonly sub: string }): Promise<void>
  /** Starts relaying the use cases' revocation events. Returns the detach function. */
  attach(lanyard: Lanyard): () => void
}

export function createRevocationStream(deps: { keys: KeyRing; clock: Clock; issuer: string; log: Logger }): RevocationStream {
  const { keys, clock, issuer, log } = deps
  const audience = `${issuer}${revocationEventsPath}`
  const subscribers = new Set<(set: string) => void>()

  async function broadcast(bodies: readonly SetBody[], txn: string): Promise<void> {
    if (subscribers.size === 0) return
    for (const body of bodies) {
      const set = await signSet(keys, { issuer, audience, jti: randomUUID(), txn, issuedAt: clock.now() }, body)
      for (const send of subscribers) send(set)
    }
  }

  return {
    audience,
    subscribe(send) {
      subscribers.add(send)
      return () => subscribers.delete(send)
    },
    async publishToken({ jti, sub }) {
      const subject = { format: 'iss_sub', iss: issuer, sub } as const
      await broadcast(
        [{ sub_id: subject, events: { [credentialChange]: { subject, initiating_entity: 'system', credential_type: 'lanyard-access-token', change_type: 'revoke', friendly_name: `access-token/${jti}`, event_timestamp: Math.floor(clock.now().getTime() / 1000) } } }],
        jti,
      )
    },
    attach(lanyard) {
      return lanyard.onRevocation((event) => {
        void broadcast(revocationSets(event, issuer), event.revocation.id).catch((error: unknown) => log.error({ err: String(error), revocation_id: event.revocation.id }, 'revocation event not streamed'))
      })
    },
  }
}
