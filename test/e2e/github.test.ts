import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { githubHashedToken, startGitHubSandbox, type GitHubSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'

describe('GitHub end to end: exchange, use, whois, revoke', () => {
  let github: GitHubSandbox
  let t: TestBroker
  let dir: string
  const binding = { system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:write', 'pull_requests:read', 'metadata:read', 'repo:api', 'repo:web'] }

  beforeAll(async () => {
    github = await startGitHubSandbox()
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api', 'web', 'secrets'], permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' } })
    const other = await github.createApp()
    dir = mkdtempSync(join(tmpdir(), 'lanyard-gh-'))
    writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
    writeFileSync(join(dir, 'other.pem'), other.privateKeyPem, { mode: 0o600 })
    t = await startTestBroker({
      config: {
        // The GitHub stand-in listens on loopback: a sandbox deployment.
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [
          { name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url, retries: 0 },
          // The wrong key for this App id: GitHub refuses the App JWT.
          { name: 'github-tampered', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'other.pem') }, baseUrl: github.url, retries: 0 },
        ],
      },
    })
  })
  afterAll(async () => {
    await t?.close()
    await github?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const repo = (token: string, name: string) => fetch(`${github.url}/repos/acme/${name}`, { headers: { authorization: `token ${token}` } })

  it('mints a token for exactly the narrowed repository and permission, attributable and revocable', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const handleToken = await agent.token()
    const exchanged = await agent.exchange('github-acme', 'contents:read repo:api', handleToken)
    expect(exchanged.status).toBe(200)
    const token = exchanged.body.access_token as string
    expect(token).toMatch(/^ghs_/)
    expect((await repo(token, 'api')).status).toBe(200)
    expect((await repo(token, 'web')).status).toBe(404)

    const issued = github.tokens().find((x) => x.hashedToken === githubHashedToken(token))
    expect(issued?.permissions).toEqual({ contents: 'read' })
    expect(issued?.repositories).toEqual(['api'])

    const whois = await t.admin('GET', `/v1/whois?github_hashed_token=${encodeURIComponent(githubHashedToken(token))}`)
    expect(whois.body.matches).toEqual([expect.objectContaining({ handle: agent.handle, system: 'github-acme', scopes: ['contents:read', 'repo:api'] })])

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'compromised' })
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)
    expect(job.body.tasks).toEqual([expect.objectContaining({ grant_id: exchanged.body.grant_id, outcome: { kind: 'revoked', proof: 'dead' } })])
    expect(github.tokenState(token)).toBe('revoked')
    expect((await repo(token, 'api')).status).toBe(401)
    const after = await agent.exchange('github-acme', 'contents:read repo:api', handleToken)
    expect(after.body.error).toBe('invalid_grant')
    const audit = await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1`)
    expect(audit.body.verification.ok).toBe(true)
    expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['agent.revoked', 'grant.revoked', 'exchange.refused']))
    expect(JSON.stringify(audit.body)).not.toContain(token)
  })

  it('refuses a widened scope naming the item, with an audit event and nothing minted', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const before = github.tokens().length
    const response = await agent.exchange('github-acme', 'contents:read repo:secrets')
    expect(response.status).toBe(400)
    expect(response.body.error).toBe('invalid_scope')
    expect(response.body.error_description).toMatch(/repo:secrets/)
    expect(github.tokens().length).toBe(before)
    const audit = await t.admin('GET', `/v1/agents/${agent.handle}/audit`)
    expect(audit.body.events.at(-1)).toMatchObject({ action: 'exchange.refused', outcome: 'failure', details: { code: 'ERR_SCOPE_WIDENING' } })
  })

  it('refuses a binding to an installation the App does not have', async () => {
    const agent = await createTestAgent(t)
    const response = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, { ...binding, target: { account: 'nobody' } })
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('ERR_BINDING_INVALID')
  })

  it('refuses, without leaking the key, a system whose App key does not match its App id', async () => {
    const agent = await createTestAgent(t)
    // Bind through the good system's installation id, then exchange through the tampered one.
    const bound = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, { ...binding, system: 'github-tampered' })
    expect(bound.status).toBe(502)
    expect(bound.body.code).toBe('ERR_UPSTREAM_REFUSED')
    expect(JSON.stringify(bound.body)).not.toMatch(/BEGIN|PRIVATE/)
    const audit = await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1`)
    expect(audit.body.events.at(-1)).toMatchObject({ action: 'binding.refused', outcome: 'failure', details: { system: 'github-tampered', code: 'ERR_UPSTREAM_REFUSED' } })
    expect(JSON.stringify(audit.body)).not.toMatch(/BEGIN|PRIVATE/)
  })
})
