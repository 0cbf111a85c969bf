import { UpstreamUnavailable } from '@lanyard/connector-sdk'
import type { BrokerSigner, ConnectorHost, ExchangeCredential, IssueRequest, Issued } from '@lanyard/connector-sdk'
import type { McpConfig } from './config.js'
import type { McpTarget } from './target.js'
import { whoisIndex } from './whois.js'

/** What the agent receives: an RFC 9068 access token for the MCP server, `DPoP` when bound to the exchange's proof key. */
export interface McpCredential extends ExchangeCredential {
  readonly tokenType: 'Bearer' | 'DPoP'
}

/** The stored ref: the token's identity and audience, and the thumbprint of its DPoP key when bound; no part of the token. */
export type McpRef = {
  readonly jti: string
  readonly sub: string
  readonly aud: string
  readonly jkt?: string
}

const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

/** The broker's signer with the access-token members the mcp connector needs. */
export type AccessTokenSigner = Required<Pick<BrokerSigner, 'signAccessToken' | 'revokeAccessToken'>>

/**
 * Signs an RFC 9068 access token through the broker: `aud` the resource, `sub` the handle,
 * `jti` the grant id (so the revocation events that name a grant name its token), `scope` the
 * narrowed scopes, `client_id` the handle (the agent is its own OAuth client), lifetime the
 * shorter of the system's and the broker's cap. When the exchange proved a DPoP key (`jkt`),
 * the token is bound to it (`cnf.jkt`, RFC 9449 6.1) and announced as `DPoP`: the MCP server
 * then wants a proof of that key with every request. The broker is this connector's upstream,
 * so nothing is minted elsewhere.
 */
export async function issue(config: McpConfig, host: ConnectorHost, signer: AccessTokenSigner, request: IssueRequest<McpTarget>, signal: AbortSignal): Promise<Issued<McpCredential>> {
  if (signal.aborted) throw new UpstreamUnavailable(host.system, { detail: 'aborted by the caller' })
  const ttlSeconds = Math.min(config.tokenTtlSeconds, request.maxTtlSeconds)
  const issuedAt = Math.floor(host.clock.now().getTime() / 1000)
  const token = await signer.signAccessToken({ sub: request.agent.handle, aud: config.resource, jti: request.grantId, scope: request.scopes.join(' '), clientId: request.agent.handle, ttlSeconds, ...(request.jkt === undefined ? {} : { jkt: request.jkt }) })
  const ref: McpRef = { jti: request.grantId, sub: request.agent.handle, aud: config.resource, ...(request.jkt === undefined ? {} : { jkt: request.jkt }) }
  return {
    credential: { accessToken: token, tokenType: request.jkt === undefined ? 'Bearer' : 'DPoP', issuedTokenType: accessTokenType },
    ref,
    expiresAt: new Date((issuedAt + ttlSeconds) * 1000),
    index: whoisIndex(request.grantId),
    // Kept sealed by the broker so revoke can show the token to the probe URL.
    revocationSecret: token,
  }
}
