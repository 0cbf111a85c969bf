import { UpstreamUnavailable } from '@lanyard/connector-sdk'
import type { ConnectorHost, RevokeRequest } from '@lanyard/connector-sdk'
import type { McpConfig } from './config.js'
import type { McpRef } from './issue.js'

/**
 * Does the MCP server still accept this token? One request to the probe URL with it: 401 is
 * dead (@lanyard/mcp refuses it); any other answer below 500 (a 403 for scope, a 400/406 from
 * the MCP transport) means the token passed authentication, so alive. Past its expiry: dead
 * without asking. Without the token, before expiry: unknown. A 5xx or no answer throws
 * UpstreamUnavailable.
 *
 * A DPoP-bound token (its ref names a `jkt`) cannot be shown with a proof: the broker never
 * holds the agent's key. It is sent as `Authorization: DPoP` without one; @lanyard/mcp checks
 * the token before the proof, so a 401 `invalid_dpop_proof` means the token itself passed
 * (alive), and only a 401 of another kind is dead. A server that checked the proof first
 * would read alive until expiry: never a false dead.
 */
export async function probe(config: McpConfig, host: ConnectorHost, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  if (host.clock.now().getTime() >= request.expiresAt.getTime()) return 'dead'
  if (request.secret === undefined) return 'unknown'
  const bound = typeof (request.ref as Partial<McpRef>).jkt === 'string'
  let response: Response
  try {
    response = await host.fetch(config.probeUrl ?? config.resource, {
      method: 'GET',
      headers: { authorization: `${bound ? 'DPoP' : 'Bearer'} ${request.secret}`, accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
    })
  } catch (error) {
    throw new UpstreamUnavailable(host.system, { detail: signal.aborted ? 'aborted by the caller' : `probe: ${(error as Error).name}` })
  }
  await response.body?.cancel().catch(() => {})
  if (response.status === 401) return bound && /error="invalid_dpop_proof"/.test(response.headers.get('www-authenticate') ?? '') ? 'alive' : 'dead'
  if (response.status >= 500) throw new UpstreamUnavailable(host.system, { detail: `probe: HTTP ${response.status}` })
  return 'alive'
}
