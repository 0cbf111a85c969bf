import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGitHubSandbox, type GitHubSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

/** Reads a server-sent event stream to its end: each event's name and parsed data. */
async function readEvents(response: Response): Promise<Array<{ event: string; data: any }>> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n')
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) }
    })
}

/** GET /v1/revocations/{id}/progress (#18): the cascade task by task, as the console shows it. */
describe('revocation progress stream', () => {
  let github: GitHubSandbox
  let t: TestBroker
  let dir: string

  beforeAll(async () => {
    github = await startGitHubSandbox()
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api'], permissions: { contents: 'read', metadata: 'read' } })
    dir = mkdtempSync(join(tmpdir(), 'lanyard-progress-'))
    writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
    t = await startTestBroker({ config: { sandbox: true, upstream: { allowInsecureUpstreamHttp: true }, systems: [{ name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url, retries: 0 }] } })
  })
  afterAll(async () => {
    await t?.close()
    await github?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const stream = (id: string, token = t.adminToken) => fetch(`${t.url}/v1/revocations/${id}/progress`, { headers: { authorization: `Bearer ${token}` } })

  it('pushes the job as its tasks finish and ends with `done` at full dark', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:read', 'repo:api'] }] })
    const grants = []
    for (let i = 0; i < 2; i++) grants.push((await agent.exchange('github-acme', 'contents:read repo:api', await agent.token())).body.grant_id)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'lost laptop' })
    const response = await stream(revoked.body.revocation.id)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const events = await readEvents(response)
    expect(events.at(-1)?.event).toBe('done')
    expect(events.filter((e) => e.event === 'done')).toHaveLength(1)
    const last = events.at(-1)!.data
    expect(last).toMatchObject({ id: revoked.body.revocation.id, status: 'done' })
    expect(last.tasks.map((task: { grant_id: string; status: string }) => [task.grant_id, task.status]).sort()).toEqual(grants.map((id) => [id, 'done']).sort())
    // The final event is what GET /v1/revocations/{id} answers; no two progress events repeat.
    expect((await t.admin('GET', `/v1/revocations/${last.id}`)).body).toEqual(last)
    const progress = events.filter((e) => e.event === 'progress').map((e) => JSON.stringify(e.data))
    expect(new Set(progress).size).toBe(progress.length)
  })

  it('answers a finished job at once, 404s an unknown one, and refuses without a credential', async () => {
    const agent = await createTestAgent(t)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'nothing held' })
    const events = await readEvents(await stream(revoked.body.revocation.id))
    expect(events.map((e) => e.event)).toEqual(['progress', 'done'])
    const unknown = await stream('00000000-0000-4000-8000-000000000000')
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toContain('application/problem+json')
    expect((await fetch(`${t.url}/v1/revocations/${revoked.body.revocation.id}/progress`)).status).toBe(401)
  })

  it('lets an auditor watch, and refuses an owner watching another owner\'s agent', async () => {
    const agent = await createTestAgent(t)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'audit' })
    const auditor = await t.admin('POST', '/v1/admins', { subject: 'audrey@acme.dev', roles: ['auditor'] })
    const owner = await t.admin('POST', '/v1/admins', { subject: 'someone-else@acme.dev', roles: ['owner'] })
    expect((await stream(revoked.body.revocation.id, auditor.body.token)).status).toBe(200)
    const refused = await stream(revoked.body.revocation.id, owner.body.token)
    expect(refused.status).toBe(403)
    expect((await refused.json()).code).toBe('ERR_ROLE_REQUIRED')
  })
})
