import { connectorConformance } from '@lanyard/connector-sdk/testing'
import type { ConformanceSetup } from '@lanyard/connector-sdk/testing'
import { mcpConnector } from '../src/index.js'
import type { McpCredential } from '../src/index.js'
import { startBrokerStandIn, startProtectedServer } from './fixture.js'

/**
 * The broker stand-in signs and records revocations; a real resource server built with
 * @lanyard/mcp decides whether a token works. Revoke is `revoked` only because that server,
 * told over the event stream, refuses the token when the connector probes it.
 */
async function setup(): Promise<ConformanceSetup<McpCredential>> {
  const broker = await startBrokerStandIn()
  const server = await startProtectedServer(broker, ['tickets:read', 'tickets:write', 'tickets:admin'])
  const config = { resource: server.resource, scopes: ['tickets:read', 'tickets:write', 'tickets:admin'], tokenTtlSeconds: 300, allowInsecureUpstreamHttp: true }
  return {
    config,
    target: {},
    ceiling: ['tickets:read', 'tickets:write'],
    requests: {
      narrower: ['tickets:read'],
      wider: ['tickets:admin'],
      unknown: ['two words', 'say"what'],
    },
    bogus: { target: { resource: 'https://elsewhere.example.test/mcp' } },
    upstream: {
      async works(credential, scopes) {
        if (scopes.length === 0) return (await server.status(credential.accessToken)) === 200
        for (const scope of scopes) if ((await server.status(credential.accessToken, scope)) !== 200) return false
        return true
      },
    },
    host: { signer: broker.signer, allowInsecureUpstreamHttp: true },
    async teardown() {
      await server.close()
      await broker.close()
    },
  }
}

connectorConformance({ connector: mcpConnector, setup })
