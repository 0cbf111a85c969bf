import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createRemoteJWKSet, exportJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApprovalRequired, InvalidGrant } from '@lanyard/client'
import type { TestAgent } from '../support/agent.js'
import { approvalWorld, askApproval, exchangeWith, sdkOf } from '../support/approvals.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'

const run = promisify(execFile)
const cliBin = fileURLToPath(new URL('../../apps/cli/bin/lanyard.js', import.meta.url))
const approvalRequested = 'https://lanyard.dev/secevent/approval-requested'

describe('approvals: a person approves exactly one exchange', () => {
  const world = approvalWorld()
  let t: TestBroker
  let agent: TestAgent
  let other: TestAgent
  let dir: string
  const pushes: string[] = []
  let receiver: ReturnType<typeof createServer>
  const cli = (...args: string[]) => run(process.execPath, [cliBin, ...args], { env: { PATH: process.env.PATH ?? '', LANYARD_CLI_SOURCE: '1', LANYARD_URL: t.url, LANYARD_ADMIN_TOKEN: t.adminToken }, cwd: dir })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanyard-approvals-'))
    receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        pushes.push(body)
        res.writeHead(202).end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    t = await startTestBroker({ config: world.config })
    const hook = await t.admin('POST', '/v1/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`, events: ['approval.requested'] })
    expect(hook.status).toBe(201)
    agent = await world.agent(t)
    other = await world.agent(t)
  })
  afterAll(async () => {
    await t.close()
    receiver.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs the story: refused, approved through the CLI, minted once with exactly those scopes, never again, not for another agent; a denial is final; the audit chain shows it all', async () => {
    const sdk = await sdkOf(t, agent)
    // Scopes the policy does not name need nobody.
    expect((await sdk.exchange({ system: 'mem', scope: 'read' })).scope).toBe('read')

    // (1) Refused with approval_required, at once, with where and how often to look.
    const raw = await exchangeWith(t, agent, { scope: 'write read', reason: 'release 4.2 needs the changelog' })
    expect(raw.status).toBe(400)
    expect(raw.body).toMatchObject({ error: 'approval_required', code: 'ERR_APPROVAL_REQUIRED', interval: 1, approval_uri: `${t.issuer}/v1/approvals/${raw.body.approval_id}` })
    expect(raw.body.expires_in).toBeGreaterThan(590)
    const id = raw.body.approval_id as string
    // The SDK surfaces the same request (a retry finds it, it does not file another).
    const refused = await sdk.exchange({ system: 'mem', scope: ['read', 'write'] }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ApprovalRequired)
    expect(refused).toMatchObject({ approvalId: id, interval: 1 })
    expect((refused as ApprovalRequired).expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000)
    expect(world.mem.upstream.liveCount()).toBe(1)

    // The request is recorded as asked, and pushed to the subscribed webhook as a signed SET.
    const listed = await cli('approvals', 'list', '--json')
    const pending = JSON.parse(listed.stdout).approvals.filter((a: { handle: string }) => a.handle === agent.handle)
    expect(pending).toEqual([expect.objectContaining({ id, handle: agent.handle, system: 'mem', scopes: ['read', 'write'], status: 'pending', reason: 'release 4.2 needs the changelog', approvers: ['owner@acme.dev', 'alice@acme.dev'] })])
    await eventually(() => pushes.length >= 1)
    const { payload, protectedHeader } = await jwtVerify(pushes[0]!, createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`)), { issuer: t.issuer, typ: 'secevent+jwt' })
    expect(protectedHeader.alg).toBe('ES256')
    expect(payload.txn).toBe(id)
    expect((payload.events as Record<string, unknown>)[approvalRequested]).toMatchObject({ approval_id: id, scopes: ['read', 'write'], approve_uri: `${t.issuer}/v1/approvals/${id}/approve` })

    // (2) A person approves through the CLI; someone the request does not list cannot.
    await expect(cli('approvals', 'approve', id, '--as', 'mallory@evil.dev')).rejects.toMatchObject({ stderr: expect.stringMatching(/ERR_APPROVER_NOT_ALLOWED/) })
    const approved = await cli('approvals', 'approve', id, '--as', 'alice@acme.dev', '--note', 'for the release only')
    expect(approved.stdout).toMatch(/status:\s+approved/)

    // (3) The agent, waiting, gets exactly those scopes, once.
    const credential = await sdk.waitForApproval(id, { system: 'mem', scope: 'read write' })
    expect(credential.scope).toBe('read write')
    expect(world.mem.upstream.liveCount()).toBe(2)
    const grant = (await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants.find((g: { id: string }) => g.id === credential.grant_id)
    expect(grant).toMatchObject({ scopes: ['read', 'write'], approval: { id, approved_by: 'alice@acme.dev' } })
    expect((await t.admin('GET', `/v1/approvals/${id}`)).body).toMatchObject({ status: 'spent', grant_id: credential.grant_id, decided_by: 'alice@acme.dev' })

    // (4) A second use is refused.
    const again = await exchangeWith(t, agent, { scope: 'read write', approval_id: id })
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_SPENT' } })
    await expect(sdk.waitForApproval(id, { system: 'mem', scope: 'read write' })).rejects.toBeInstanceOf(InvalidGrant)

    // (5) Another agent holding the id is refused.
    const stolen = await exchangeWith(t, other, { scope: 'read write', approval_id: id })
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_MISMATCH' } })

    // (6) A denial is final: no exchange, no later approval.
    const second = await askApproval(t, agent, 'once more')
    expect(second).not.toBe(id)
    const denied = await cli('approvals', 'deny', second, '--as', 'owner@acme.dev', '--note', 'not today')
    expect(denied.stdout).toMatch(/status:\s+denied/)
    expect(await exchangeWith(t, agent, { scope: 'read write', approval_id: second })).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_DENIED' } })
    expect(await t.admin('POST', `/v1/approvals/${second}/approve`, { approver: 'alice@acme.dev' })).toMatchObject({ status: 409, body: { code: 'ERR_APPROVAL_NOT_PENDING' } })
    expect(world.mem.upstream.liveCount()).toBe(2)

    // (7) The audit chain shows request, approval and approver, and the grant, and verifies.
    const audit = (await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1`)).body
    expect(audit.verification.ok).toBe(true)
    const story = audit.events.filter((e: { target: string; details: Record<string, unknown> }) => e.target === id || e.details.approval_id === id)
    expect(story.map((e: { action: string }) => e.action)).toEqual(['approval.requested', 'approval.approved', 'grant.requested', 'grant.issued'])
    expect(story[0].details).toMatchObject({ scopes: ['read', 'write'], reason: 'release 4.2 needs the changelog' })
    expect(story[1]).toMatchObject({ actor: 'admin:bootstrap', details: { approver: 'alice@acme.dev', note: 'for the release only' } })
    expect(story[2].details).toMatchObject({ approval_id: id, approved_by: 'alice@acme.dev' })
    expect(story[3]).toMatchObject({ target: credential.grant_id, details: { approval_id: id, approved_by: 'alice@acme.dev', scopes: ['read', 'write'] } })
  }, 120_000) // five CLI processes, a few seconds each to start

  it('the CLI exchange says it waits, and returns the credential once a person approves', async () => {
    const keyFile = join(dir, 'agent.jwk')
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(other.privateKey)), alg: 'EdDSA' }))
    const waiting = cli('exchange', '--handle', other.handle, '--key', keyFile, '--system', 'mem', '--scope', 'read write', '--reason', 'nightly backfill')
    let id: string | undefined
    await eventually(async () => {
      const listed = (await t.admin('GET', `/v1/approvals?status=pending&handle=${encodeURIComponent(other.handle)}`)).body.approvals
      id = listed[0]?.id
      return id !== undefined
    }, 30_000)
    // A long-poll answers as soon as the decision lands.
    const watching = t.admin('GET', `/v1/approvals/${id}?wait=20`)
    expect((await t.admin('POST', `/v1/approvals/${id}/approve`, { approver: 'owner@acme.dev' })).status).toBe(200)
    expect((await watching).body.status).toMatch(/^(approved|spent)$/)
    const { stdout, stderr } = await waiting
    expect(stderr).toMatch(new RegExp(`approval required: request ${id}`))
    expect(stderr).toMatch(/waiting for the decision/)
    expect(JSON.parse(stdout)).toMatchObject({ scope: 'read write' })
  }, 60_000)

  it('revoking the agent cancels what it waits for', async () => {
    const doomed = await world.agent(t)
    const id = await askApproval(t, doomed)
    expect((await t.admin('POST', `/v1/agents/${doomed.handle}/revoke`, { reason: 'retired' })).status).toBe(202)
    expect((await t.admin('GET', `/v1/approvals/${id}`)).body.status).toBe('cancelled')
    expect((await t.admin('POST', `/v1/approvals/${id}/approve`, { approver: 'alice@acme.dev' })).body.code).toBe('ERR_APPROVAL_NOT_PENDING')
  })
})
