/**
 * @module @lanyard/connector-oauth
 *
 * The `oauth` connector: short-lived access tokens from any OAuth 2.0 authorization server by
 * the client-credentials grant (openid-client), narrowed by scope and RFC 8707 resource,
 * revoked by RFC 7009 and confirmed by RFC 7662. Imported by the broker's connector registry;
 * exports the definition and its config, target and credential types.
 */
import { ConfigInvalid, defineConnector, sdkVersion } from '@lanyard/connector-sdk'
import type { ConnectorInstance } from '@lanyard/connector-sdk'
import { checkHealth, createOAuthClient } from './client.js'
import { oauthConfig } from './config.js'
import { issue } from './issue.js'
import type { OAuthCredential } from './issue.js'
import { probe } from './probe.js'
import { revoke } from './revoke.js'
import { narrowOAuth, oauthScopes } from './scopes.js'
import { oauthTarget, validateBinding } from './target.js'
import type { OAuthTarget } from './target.js'
import { whoisKeys } from './whois.js'

export type { OAuthClientConfig, OAuthConfig } from './config.js'
export type { OAuthCredential, OAuthRef } from './issue.js'
export type { OAuthTarget } from './target.js'
export { resourcePrefix } from './scopes.js'
export { tokenSha256 } from './whois.js'

/** `type: oauth` in lanyard.yaml. */
export const oauthConnector = defineConnector({
  type: 'oauth',
  /** 256 KiB: token, introspection and discovery answers are a few KiB. */
  maxResponseBytes: 256 * 1024,
  sdk: `^${sdkVersion}`,
  config: oauthConfig,
  target: oauthTarget,
  scopes: oauthScopes,
  revocationMechanism: 'RFC 7009 revocation, confirmed by RFC 7662 introspection; JWTs die at expiry unless resourceServers is introspect or events',
  whoisKeys,
  // One client per agent: a second agent bound to the same client is BindingConflict (409).
  exclusiveTargetKey: (target) => target.clientId,
  create(config, host): ConnectorInstance<OAuthTarget, OAuthCredential> {
    // The connector's own switch is not enough: the broker must run as a sandbox deployment too.
    if (config.allowInsecureUpstreamHttp && host.allowInsecureUpstreamHttp !== true) {
      throw new ConfigInvalid(['allowInsecureUpstreamHttp: refused outside a sandbox deployment (broker `sandbox: true` and `upstream.allowInsecureUpstreamHttp: true`)'])
    }
    const oauth = createOAuthClient(config, host)
    return {
      narrow: (ceiling, requested) => narrowOAuth(ceiling, requested, config.scopes),
      validateBinding: (target, ceiling, signal) => validateBinding(oauth, target, ceiling, signal),
      issue: (request, signal) => issue(oauth, request, signal),
      revoke: (request, signal) => revoke(oauth, request, signal),
      probe: (request, signal) => probe(oauth, request, signal),
      health: (signal) => checkHealth(oauth, signal),
    }
  },
})

export default oauthConnector
