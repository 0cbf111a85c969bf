import type { ConnectorHost, Health } from '@lanyard/connector-sdk'
import type { McpConfig } from './config.js'

/**
 * Reachable, and protected by this broker? The server's RFC 9728 metadata must name the
 * resource and list the broker's issuer among its authorization servers.
 */
export async function checkHealth(config: McpConfig, host: ConnectorHost, signal: AbortSignal): Promise<Health> {
  const resource = new URL(config.resource)
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/+$/, '')
  try {
    const response = await host.fetch(`${resource.origin}/.well-known/oauth-protected-resource${path}`, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]) })
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      return { ok: false, detail: `protected resource metadata: HTTP ${response.status}` }
    }
    const metadata = (await response.json()) as { resource?: unknown; authorization_servers?: unknown }
    if (metadata.resource !== config.resource) return { ok: false, detail: 'the protected resource metadata names another resource' }
    if (!Array.isArray(metadata.authorization_servers) || !metadata.authorization_servers.includes(host.signer.issuer)) {
      return { ok: false, detail: 'the server does not name this broker as its authorization server' }
    }
    return { ok: true }
  } catch (error) {
    return { ok: false, detail: `protected resource metadata: ${(error as Error).name}` }
  }
}
