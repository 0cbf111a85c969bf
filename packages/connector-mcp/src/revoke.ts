import type { ConnectorHost, RevokeOutcome, RevokeRequest } from '@lanyard/connector-sdk'
import type { McpConfig } from './config.js'
import type { AccessTokenSigner, McpRef } from './issue.js'
import { probe } from './probe.js'

/** Pause between probes while the resource server applies the revocation event. */
const probeIntervalMs = 100

/**
 * (1) Past `expiresAt`: `expired`, nothing asked. (2) The broker records the `jti` revoked
 * (introspection answers inactive from now on) and streams the revocation to resource servers.
 * (3) `revoked` only once the probe URL refuses the token, probed until `settleMs` has passed;
 * otherwise `unrevocable-until` the expiry: a server that missed the event still accepts it.
 * Idempotent: recording and streaming again are harmless. Throws UpstreamUnavailable when the
 * probe URL cannot be reached (the cascade retries).
 */
export async function revoke(config: McpConfig, host: ConnectorHost, signer: AccessTokenSigner, request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome> {
  signal.throwIfAborted()
  if (request.expiresAt.getTime() <= host.clock.now().getTime()) return { kind: 'expired' }
  const ref = request.ref as unknown as McpRef
  await signer.revokeAccessToken({ jti: ref.jti, sub: ref.sub, aud: ref.aud, expiresAt: request.expiresAt })
  const deadline = Date.now() + config.settleMs
  for (;;) {
    const seen = await probe(config, host, request, signal)
    if (seen === 'dead') return { kind: 'revoked' }
    if (seen === 'unknown' || Date.now() >= deadline) break
    await new Promise((resolve) => setTimeout(resolve, probeIntervalMs))
    signal.throwIfAborted()
  }
  host.log.warn({ system: host.system, grantId: request.grantId }, 'the MCP server still accepts the revoked token; it lives until it expires')
  return { kind: 'unrevocable-until', until: request.expiresAt }
}
