import { generateKeyPairSync } from 'node:crypto'
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

/**
 * A GitHub and an AWS STS stand-in on one loopback port: the installation and the bind-time
 * token check answer as GitHub does; every later token mint answers with `mint`, every STS
 * call (POST /) with `sts`.
 */
export function gitHubAndStsUpstream(mint: (res: ServerResponse) => void, sts: (res: ServerResponse) => void): Promise<HostileUpstream> {
  let mints = 0
  return startHostileUpstream((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (req.method === 'GET' && req.url === '/app/installations/7') return json(200, { id: 7, account: { login: 'acme' }, permissions: { contents: 'read', metadata: 'read' } })
    if (req.method === 'POST' && req.url === '/app/installations/7/access_tokens') {
      mints += 1
      if (mints === 1) return json(201, { token: 'ghs_bindcheck', expires_at: new Date(Date.now() + 3_000_000).toISOString(), permissions: { metadata: 'read' } })
      return mint(res)
    }
    if (req.method === 'DELETE' && req.url === '/installation/token') return res.writeHead(204).end()
    if (req.method === 'POST' && req.url === '/') return sts(res)
    return json(404, { message: 'Not Found' })
  })
}

/** A sandbox broker with a `github` system `gh` and an `aws` system `aws` on `upstream`, and one agent bound to both. */
export async function brokerOverGitHubAndAws(upstream: HostileUpstream): Promise<{ t: TestBroker; agent: TestAgent }> {
  const appKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const t = await startTestBroker({
    env: { APP_KEY: appKey, AWS_SECRET: 'hostile-secret-access-key-0123456789' },
    config: {
      sandbox: true,
      upstream: { allowInsecureUpstreamHttp: true },
      systems: [
        { name: 'gh', type: 'github', appId: 1, privateKey: { env: 'APP_KEY' }, baseUrl: upstream.url, retries: 0 },
        { name: 'aws', type: 'aws', mode: 'assume-role', credentials: { accessKeyId: 'AKIAHOSTILETEST0001', secretAccessKey: { env: 'AWS_SECRET' } }, endpoint: upstream.url, maxAttempts: 1, bindingCheck: false, revocation: { enabled: false } },
      ],
    },
  })
  const agent = await createTestAgent(t, {
    bindings: [
      { system: 'gh', target: { installationId: 7 }, ceiling: ['contents:read', 'repo:api'] },
      { system: 'aws', target: { roleArn: 'arn:aws:iam::123456789012:role/deploy' }, ceiling: ['s3:GetObject', 'resource:arn:aws:s3:::reports/*'] },
    ],
  })
  return { t, agent }
}
