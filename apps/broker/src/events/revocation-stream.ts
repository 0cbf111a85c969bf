import { randomUUID } from 'node:crypto'
import type { Clock, EventBus, KeyRing, Lanyard, Logger } from '@lanyard/core'
import { credentialChange, revocationSets, sessionRevoked, signSet } from '../webhooks/set.js'
import type { SetBody } from '../webhooks/set.js'

/** Where resource servers hold the stream; also the `aud` of every SET sent on it. */
export const revocationEventsPath = '/v1/events'

/**
 * Revocation events for resource servers (MCP servers protected by @lanyard/mcp), pushed as
 * the same CAEP SETs the webhooks deliver, over server-sent events. Chosen over webhooks for
 * resource servers: the connection is outbound from the server (no inbound URL to expose and
 * register), and a lost connection is visible to the server at once, which is what lets it
 * fall back to introspection instead of trusting silence.
 *
 * Sources: (1) this replica's revocation jobs (the webhooks' SETs); (2) the bus's agent
 * changes from every replica: an agent that is no longer active (revoked, or merely suspended,
 * which starts no job) gets `session-revoked`; (3) access tokens revoked one by one
 * (`publishToken`). Grant-scope jobs of other replicas reach a resource server through (3)
 * when their cascade runs, or through introspection. The bus is at-most-once: while it is
 * unhealthy, or once it was lost (epoch changed), every stream is ended and new ones are
 * refused, so resource servers introspect instead of trusting a stream that may miss events.
 */
export interface RevocationStream {
  readonly audience: string
  /** Each signed SET is handed to `send`; returns the unsubscribe function. */
  subscribe(send: (set: string) => void): () => void
  /** An access token revoked on its own (the mcp connector's revoke): `credential-change` for its jti. */
  publishToken(token: { readonly jti: string; readonly sub: string }): Promise<void>
  /** Starts relaying the use cases' revocation events and the bus's agent changes. Returns the detach function. */
  attach(lanyard: Lanyard): () => void
  /** False while the bus is unhealthy: a stream opened now could miss other replicas' events. */
  healthy(): boolean
  /** Called with no argument when every stream must end (the bus was lost); returns the unsubscribe function. */
  onLost(end: () => void): () => void
}

/** How often bus health is checked for open streams. */
const busCheckMs = 250

export function createRevocationStream(deps: { keys: KeyRing; clock: Clock; issuer: string; log: Logger; bus: EventBus }): RevocationStream {
  const { keys, clock, issuer, log, bus } = deps
  const audience = `${issuer}${revocationEventsPath}`
  const subscribers = new Set<(set: string) => void>()
  const enders = new Set<() => void>()

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
      const detachJobs = lanyard.onRevocation((event) => {
        void broadcast(revocationSets(event, issuer), event.revocation.id).catch((error: unknown) => log.error({ err: String(error), revocation_id: event.revocation.id }, 'revocation event not streamed'))
      })
      const detachBus = bus.subscribe((event) => {
        if (event.type !== 'agent.changed' || event.status === 'active') return
        const subject = { format: 'iss_sub', iss: issuer, sub: event.handle } as const
        const body: SetBody = { sub_id: subject, events: { [sessionRevoked]: { subject, initiating_entity: 'system', event_timestamp: Math.floor(clock.now().getTime() / 1000) } } }
        void broadcast([body], `${event.handle}:${event.generation}`).catch((error: unknown) => log.error({ err: String(error), handle: event.handle }, 'agent change not streamed'))
      })
      let epoch = bus.epoch()
      const watch = setInterval(() => {
        if (enders.size === 0) return
        if (bus.healthy() && bus.epoch() === epoch) return
        epoch = bus.epoch()
        log.warn({ streams: enders.size }, 'event bus lost: ending revocation event streams so resource servers introspect')
        for (const end of [...enders]) end()
      }, busCheckMs)
      watch.unref()
      return () => {
        clearInterval(watch)
        detachJobs()
        detachBus()
      }
    },
    healthy: () => bus.healthy(),
    onLost(end) {
      enders.add(end)
      return () => enders.delete(end)
    },
  }
}
