import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGitHubSandbox, type GitHubSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { brokerClient, testMasterKey } from '../support/broker.js'
import { eventually } from '../support/memory.js'
import { spawnBroker, type BrokerProcess } from '../support/process.js'

// Kill the broker (SIGKILL) in the middle of a cascade, start it again on the same data
// folder: the job resumes and finishes; every token ends revoked at GitHub; each grant's task
// completes exactly once in the ledger (a DELETE sent twice is harmless: GitHub's is idempotent).
describe('a revocation cascade survives a crash', () => {
  let github: GitHubSandbox
  let dir: string
  let broker: BrokerProcess | undefined
  const adminToken = `admin-${randomBytes(8).toString('hex')}`
  const grants = 24

  beforeAll(async () => {
    github = await startGitHubSandbox()
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api'], permissions: { contents: 'read', metadata: 'read' } })
    dir = mkdtempSync(join(tmpdir(), 'lanyard-crash-'))
    writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
    writeFileSync(
      join(dir, 'lanyard.yaml'),
      JSON.stringify({
        logLevel: 'warn',
        listen: '127.0.0.1:0',
        // Short leases: the dead process's tasks are taken over within a second.
        cascade: { concurrency: 2, leaseMs: 1000, pollMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 },
        rateLimits: { exchange: { ratePerSecond: 1000, burst: 1000 } },
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [{ name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url }],
      }),
    )
  })
  afterAll(async () => {
    await broker?.stop()
    await github?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const start = () => spawnBroker(join(dir, 'lanyard.yaml'), { LANYARD_DATA_DIR: dir, LANYARD_MASTER_KEY: testMasterKey, LANYARD_ADMIN_TOKEN: adminToken, LANYARD_REDIS_URL: '' })

  it('resumes after SIGKILL and revokes every credential once', async () => {
    broker = await start()
    let t = brokerClient(broker.url, adminToken)
    const agent = await createTestAgent(t, { bindings: [{ system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:read', 'repo:api'] }] })
    const handleToken = await agent.token()
    const tokens: string[] = []
    for (let i = 0; i < grants; i++) {
      const exchanged = await agent.exchange('github-acme', 'contents:read repo:api', handleToken)
      expect(exchanged.status).toBe(200)
      tokens.push(exchanged.body.access_token)
    }

    // Each DELETE now takes 150 ms at GitHub: with 2 at a time the cascade needs ~2 s.
    github.latencyMs = 150
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'crash test' })
    expect(revoked.status).toBe(202)
    const jobId = revoked.body.revocation.id as string
    await eventually(() => tokens.filter((token) => github.tokenState(token) === 'revoked').length >= 4)
    await broker.kill()
    const revokedAtCrash = tokens.filter((token) => github.tokenState(token) === 'revoked').length
    expect(revokedAtCrash).toBeLessThan(grants)

    github.latencyMs = 0
    broker = await start()
    t = brokerClient(broker.url, adminToken)
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${jobId}`)).body.status === 'done', 20_000)
    const job = (await t.admin('GET', `/v1/revocations/${jobId}`)).body
    expect(job.tasks).toHaveLength(grants)
    expect(job.tasks.every((task: { outcome: { kind: string } }) => task.outcome.kind === 'revoked')).toBe(true)
    expect(tokens.every((token) => github.tokenState(token) === 'revoked')).toBe(true)

    const audit = (await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1`)).body
    expect(audit.verification.ok).toBe(true)
    const completions = audit.events.filter((e: { action: string }) => e.action === 'grant.revoked').map((e: { target: string }) => e.target)
    expect(completions).toHaveLength(grants)
    expect(new Set(completions).size).toBe(grants)
  })
})
