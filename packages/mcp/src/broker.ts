import { createRemoteJWKSet, customFetch } from 'jose'
import type { JWTVerifyGetKey } from 'jose'
import { Refusal } from './challenge.js'

/** What a resource server needs of the broker, from its RFC 8414 metadata. */
export interface BrokerEndpoints {
  readonly jwks: JWTVerifyGetKey
  readonly introspection: string
  readonly events: string
  /** The `aud` of SETs on the stream: the events endpoint as the broker names it. */
  readonly eventsAudience: string
}

export interface BrokerClient {
  /** The endpoints, fetched once; a failure is retried on the next call. */
  discover(): Promise<BrokerEndpoints>
  /** RFC 7662 with the server's own credential: true only for `active: true`; a broker that cannot answer is a 503 Refusal (fail closed). */
  introspect(endpoint: string, token: string): Promise<boolean>
}

/**
 * The resource server's side of the broker. Endpoints the broker announces under its public
 * issuer are reached through `brokerUrl` (an internal name, when the server has one).
 */
export function createBrokerClient(options: { issuer: string; brokerUrl: string; fetch: typeof fetch; credential: string }): BrokerClient {
  const { issuer, brokerUrl, fetch: fetchImpl } = options
  let endpoints: Promise<BrokerEndpoints> | undefined
  const discover = () =>
    (endpoints ??= (async () => {
      const response = await fetchImpl(`${brokerUrl}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(10_000) })
      if (!response.ok) throw new Error(`broker metadata: HTTP ${response.status}`)
      const metadata = (await response.json()) as Record<string, unknown>
      if (metadata.issuer !== issuer) throw new Error('broker metadata names another issuer')
      const at = (member: string): string => {
        const value = metadata[member]
        if (typeof value !== 'string') throw new Error(`broker metadata has no ${member}`)
        // Reached through brokerUrl: the broker may announce a public name this server cannot use.
        if (value.startsWith(`${issuer}/`)) return `${brokerUrl}${value.slice(issuer.length)}`
        return new URL(value).href
      }
      const events = metadata['lanyard_revocation_events_endpoint']
      if (typeof events !== 'string') throw new Error('broker metadata has no lanyard_revocation_events_endpoint')
      return {
        jwks: createRemoteJWKSet(new URL(at('jwks_uri')), { [customFetch]: fetchImpl, cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
        introspection: at('introspection_endpoint'),
        events: at('lanyard_revocation_events_endpoint'),
        eventsAudience: events,
      }
    })().catch((error: unknown) => {
      endpoints = undefined
      throw error
    }))

  async function introspect(endpoint: string, token: string): Promise<boolean> {
    let response: Response
    try {
      response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.credential}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(5_000),
      })
    } catch {
      throw new Refusal({ status: 503, error: 'temporarily_unavailable', description: 'the authorization server cannot confirm the token' })
    }
    if (!response.ok) {
      await response.body?.cancel()
      throw new Refusal({ status: 503, error: 'temporarily_unavailable', description: 'the authorization server cannot confirm the token' })
    }
    const body = (await response.json().catch(() => ({}))) as { active?: unknown; aud?: unknown }
    return body.active === true
  }

  return { discover, introspect }
}
