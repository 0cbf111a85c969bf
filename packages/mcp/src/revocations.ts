import { createParser } from 'eventsource-parser'
import { jwtVerify } from 'jose'
import type { JWTVerifyGetKey } from 'jose'

/** CAEP event types the broker pushes (the same SETs its webhooks deliver). */
const sessionRevoked = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked'
const credentialChange = 'https://schemas.openid.net/secevent/caep/event-type/credential-change'

/** What one revocation event tells this server. */
export type Revoked = { readonly kind: 'subject'; readonly sub: string; readonly at: number } | { readonly kind: 'token'; readonly sub: string; readonly jti: string }

/**
 * Revocations this server has learnt, from the broker's event stream. A subject is revoked for
 * every token issued at or before the event (`iat <= at`: a token minted in the same second is
 * refused too, failing closed); a token by its `jti`. Entries are kept for `retainSeconds`,
 * longer than any token the broker issues lives.
 */
export interface RevocationList {
  isRevoked(claims: { readonly sub: string; readonly jti: string; readonly iat: number }): boolean
  add(revoked: Revoked, nowSeconds: number): void
}

export function createRevocationList(retainSeconds: number): RevocationList {
  const subjects = new Map<string, { at: number; until: number }>()
  const tokens = new Map<string, number>()
  let pruneAt = 0
  const prune = (now: number) => {
    if (now < pruneAt) return
    pruneAt = now + 60
    for (const [sub, entry] of subjects) if (entry.until < now) subjects.delete(sub)
    for (const [jti, until] of tokens) if (until < now) tokens.delete(jti)
  }
  return {
    isRevoked({ sub, jti, iat }) {
      if (tokens.has(jti)) return true
      const subject = subjects.get(sub)
      return subject !== undefined && iat <= subject.at
    },
    add(revoked, now) {
      prune(now)
      if (revoked.kind === 'token') {
        tokens.set(revoked.jti, now + retainSeconds)
        return
      }
      const previous = subjects.get(revoked.sub)
      subjects.set(revoked.sub, { at: Math.max(previous?.at ?? 0, revoked.at), until: now + retainSeconds })
    },
  }
}

/**
 * The revocations one Security Event Token carries, or none. Verified against the broker's
 * JWKS: `typ` secevent+jwt, `iss` the broker, `aud` the stream's URL, so a SET meant for a
 * webhook elsewhere does not count here. Grants are named `system/<grant id>`, and the grant
 * id is the `jti` of the access token the broker signed for it.
 */
export async function readSet(jwt: string, keys: JWTVerifyGetKey, issuer: string, audience: string): Promise<Revoked[]> {
  const { payload } = await jwtVerify(jwt, keys, { issuer, audience, typ: 'secevent+jwt', algorithms: ['RS256', 'ES256'] })
  const subject = payload['sub_id'] as { sub?: unknown } | undefined
  const sub = typeof subject?.sub === 'string' ? subject.sub : undefined
  const events = (payload['events'] ?? {}) as Record<string, Record<string, unknown> | undefined>
  if (sub === undefined) return []
  const found: Revoked[] = []
  const session = events[sessionRevoked]
  if (session !== undefined) {
    const at = typeof session['event_timestamp'] === 'number' ? session['event_timestamp'] : Math.floor(Date.now() / 1000)
    found.push({ kind: 'subject', sub, at })
  }
  const change = events[credentialChange]
  if (change !== undefined && change['change_type'] === 'revoke' && typeof change['friendly_name'] === 'string') {
    const jti = change['friendly_name'].split('/').at(-1)
    if (jti) found.push({ kind: 'token', sub, jti })
  }
  return found
}

export interface EventStreamOptions {
  readonly url: string
  readonly credential: string
  readonly fetch: typeof fetch
  /** No event or heartbeat for this long: the stream counts as lost and is opened again. */
  readonly staleMs: number
  readonly reconnectDelayMs: number
  onReady(brokerNowSeconds: number): void
  onSet(jwt: string): void
  onLost(reason: string): void
}

export interface EventStream {
  /** True from the broker's `ready` event until the stream drops or goes quiet. */
  healthy(): boolean
  close(): void
}

/**
 * Holds the broker's server-sent event stream open, opening it again after a pause whenever it
 * drops, errs or goes quiet for `staleMs` (the broker sends a heartbeat comment well within it).
 * `healthy()` is false from the moment of the loss until the next `ready` event.
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  let healthy = false
  let closed = false
  let current: AbortController | undefined
  let lastSeen = Date.now()
  const lost = (reason: string) => {
    if (healthy) options.onLost(reason)
    healthy = false
  }
  const watchdog = setInterval(() => {
    if (current !== undefined && Date.now() - lastSeen > options.staleMs) {
      lost('no heartbeat')
      current.abort()
    }
  }, Math.max(50, Math.floor(options.staleMs / 4)))
  watchdog.unref()

  const run = async () => {
    while (!closed) {
      const controller = new AbortController()
      current = controller
      lastSeen = Date.now()
      try {
        const response = await options.fetch(options.url, { headers: { authorization: `Bearer ${options.credential}`, accept: 'text/event-stream' }, signal: controller.signal })
        if (!response.ok || response.body === null) {
          await response.body?.cancel()
          throw new Error(`HTTP ${response.status}`)
        }
        const parser = createParser({
          onEvent(event) {
            lastSeen = Date.now()
            if (event.event === 'ready') {
              const now = (JSON.parse(event.data) as { now?: unknown }).now
              healthy = true
              options.onReady(typeof now === 'number' ? now : Math.floor(Date.now() / 1000))
            } else if (event.event === 'set') {
              options.onSet(event.data)
            }
          },
          onComment() {
            lastSeen = Date.now()
          },
        })
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        for (let read = await reader.read(); !read.done; read = await reader.read()) parser.feed(read.value)
        lost('stream ended')
      } catch (error) {
        lost(controller.signal.aborted ? 'aborted' : String((error as Error).message ?? error))
      }
      if (closed) break
      await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs).unref())
    }
  }
  void run()
  return {
    healthy: () => healthy && !closed,
    close() {
      closed = true
      healthy = false
      clearInterval(watchdog)
      current?.abort()
    },
  }
}
