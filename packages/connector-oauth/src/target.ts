import { randomBytes } from 'node:crypto'
import { BindingInvalid } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import { z } from 'zod'
import type { OAuthClient } from './client.js'
import type { OAuthClientConfig } from './config.js'
import { narrowOAuth, splitItems } from './scopes.js'

/** What a binding points at: one client of the system (one per agent: see the README). */
export const oauthTarget = z.object({ clientId: z.string().min(1) }).strict()

export type OAuthTarget = z.output<typeof oauthTarget>

/** The configured client a target names; BindingInvalid when the system has none by that id. */
export function targetClient(oauth: OAuthClient, target: OAuthTarget): OAuthClientConfig {
  const client = oauth.client(target.clientId)
  if (!client) throw new BindingInvalid(`client "${target.clientId}" is not configured for system "${oauth.system}"`)
  return client
}

/**
 * At bind time: the client is configured, the ceiling's items are known, the server offers the
 * client-credentials grant, and the server accepts the client's credentials. The last check
 * introspects (or revokes) a random string, which authenticates the client without minting.
 */
export async function validateBinding(oauth: OAuthClient, target: OAuthTarget, ceiling: ScopeSet, signal: AbortSignal): Promise<OAuthTarget> {
  const client = targetClient(oauth, target)
  narrowOAuth(ceiling, ceiling, oauth.config.scopes)
  if (oauth.config.requireResource && splitItems(ceiling).resources.length === 0) {
    throw new BindingInvalid('the ceiling names no resource (add a "resource:<URI>" item, or set requireResource: false)')
  }
  const configuration = await oauth.configuration(client, signal)
  const server = configuration.serverMetadata()
  if (server.grant_types_supported && !server.grant_types_supported.includes('client_credentials')) {
    throw new BindingInvalid(`system "${oauth.system}" does not offer the client-credentials grant`)
  }
  const probeToken = randomBytes(32).toString('base64url')
  if (server.introspection_endpoint) {
    await oauth.call('idempotent', signal, () => oidc.tokenIntrospection(configuration, probeToken))
  } else if (server.revocation_endpoint) {
    await oauth.call('idempotent', signal, () => oidc.tokenRevocation(configuration, probeToken))
  }
  return { clientId: client.clientId }
}
