import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestAgent, type TestAgent } from './agent.js'
import { startTestBroker, type TestBroker } from './broker.js'

export interface HostileUpstream {
  readonly url: string
  /** Sockets the upstream saw closed before it finished writing its answer. */
  readonly cutOff: number
  close(): Promise<void>
}

/** An OAuth token endpoint on loopback that answers with `answer`. */
export async function startHostileUpstream(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<HostileUpstream> {
  let cutOff = 0
  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) cutOff += 1
    })
    req.resume()
    req.on('end', () => answer(req, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get cutOff() {
      return cutOff
    },
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A sandbox broker with one `oauth` system whose token endpoint is `upstream`, and one agent bound to it. */
export async function brokerOverUpstream(upstream: HostileUpstream): Promise<{ t: TestBroker; agent: TestAgent }> {
  const t = await startTestBroker({
    env: { HOSTILE_SECRET: 'hostile-client-secret-0123456789' },
    config: {
      sandbox: true,
      upstream: { allowInsecureUpstreamHttp: true },
      systems: [{ name: 'idp', type: 'oauth', issuer: upstream.url, allowInsecureUpstreamHttp: true, requireResource: false, endpoints: { token: `${upstream.url}/token` }, clients: [{ clientId: 'bot', auth: 'client_secret_post', clientSecret: { env: 'HOSTILE_SECRET' } }] }],
    },
  })
  const agent = await createTestAgent(t, { bindings: [{ system: 'idp', target: { clientId: 'bot' }, ceiling: ['read'] }] })
  return { t, agent }
}
