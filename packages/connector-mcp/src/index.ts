/**
 * @module @lanyard/connector-mcp
 *
 * The `mcp` connector: the broker as the authorization server of an MCP server. Issues RFC 9068
 * JWT access tokens (`typ` at+jwt) signed through the broker's signer, audience-bound to the
 * server's URL (RFC 8707); revokes by recording the token's `jti` revoked at the broker and
 * streaming the event to resource servers, confirmed by a probe the server must refuse.
 * Imported by the broker's connector registry; exports the definition and its types.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { ConfigInvalid, defineConnector, sdkVersion } from '@lanyard/connector-sdk'
import type { ConnectorInstance } from '@lanyard/connector-sdk'
import { mcpConfig } from './config.js'
import { issue } from './issue.js'
import type { AccessTokenSigner, McpCredential } from './issue.js'
import { probe } from './probe.js'
import { revoke } from './revoke.js'
import { checkHealth } from './health.js'
import { mcpScopes, narrowMcp } from './scopes.js'
import { checkTarget, mcpTarget } from './target.js'
import type { McpTarget } from './target.js'
import { whoisKeys } from './whois.js'

export type { McpConfig } from './config.js'
export type { McpCredential, McpRef } from './issue.js'
export type { McpTarget } from './target.js'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** `type: mcp` in lanyard.yaml. */
export const mcpConnector = defineConnector({
  type: 'mcp',
  sdk: `^${sdkVersion}`,
  config: mcpConfig,
  target: mcpTarget,
  scopes: mcpScopes,
  revocationMechanism: 'jti recorded revoked at the broker and streamed to resource servers; proven by a probe the server refuses',
  whoisKeys,
  create(config, host): ConnectorInstance<McpTarget, McpCredential> {
    if (config.allowInsecureUpstreamHttp && host.allowInsecureUpstreamHttp !== true) {
      throw new ConfigInvalid(['allowInsecureUpstreamHttp: refused outside a sandbox deployment (broker `sandbox: true` and `upstream.allowInsecureUpstreamHttp: true`)'])
    }
    const { signAccessToken, revokeAccessToken } = host.signer
    if (signAccessToken === undefined || revokeAccessToken === undefined) {
      throw new ConfigInvalid(['type: this broker cannot sign access tokens for resource servers (its signer lacks signAccessToken)'])
    }
    const signer: AccessTokenSigner = { signAccessToken: signAccessToken.bind(host.signer), revokeAccessToken: revokeAccessToken.bind(host.signer) }
    const resourceServerToken = config.resourceServerToken === undefined ? undefined : digest(config.resourceServerToken.reveal())
    return {
      resources: [config.resource],
      isResourceServerCredential: (bearer) => resourceServerToken !== undefined && timingSafeEqual(digest(bearer), resourceServerToken),
      narrow: (ceiling, requested) => narrowMcp(ceiling, requested, config.scopes),
      async validateBinding(target, ceiling, signal) {
        signal.throwIfAborted()
        narrowMcp(ceiling, ceiling, config.scopes)
        return checkTarget(config, target)
      },
      issue: (request, signal) => issue(config, host, signer, { ...request, target: checkTarget(config, request.target) }, signal),
      revoke: (request, signal) => revoke(config, host, signer, request, signal),
      probe: (request, signal) => probe(config, host, request, signal),
      health: (signal) => checkHealth(config, host, signal),
    }
  },
})

export default mcpConnector
