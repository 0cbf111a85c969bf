import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRemoteJWKSet, exportJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { startGitHubSandbox, type GitHubSandbox } from '@lanyard/sandbox'
import { createTestAgent, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

/**
 * #17 "A tree": a parent spawns two children, one of them a grandchild; each exchanges on
 * `memory` and on the GitHub stand-in; revoking the parent cuts every grant of all four, as the
 * receipt shows, and the dry run shows the tree first.
 */
describe('sub-agents: revoking a parent cuts the whole tree', () => {
  const mem = memorySystem('mem')
  let github: GitHubSandbox
  let t: TestBroker
  let dir: string

  beforeAll(async () => {
    github = await startGitHubSandbox()
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api', 'web'], permissions: { contents: 'write', metadata: 'read' } })
    dir = mkdtempSync(join(tmpdir(), 'lanyard-tree-'))
    writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
    t = await startTestBroker({
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [mem.system, { name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url, retries: 0 }],
      },
    })
  })
  afterAll(async () => {
    await t?.close()
    await github?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const repo = (token: string) => fetch(`${github.url}/repos/acme/api`, { headers: { authorization: `token ${token}` } })

  it('four agents, eight live grants; one revoke of the root; every grant dead per agent in the receipt', async () => {
    const root = await createTestAgent(t, {
      handle: uniqueHandle('planner'),
      bindings: [
        { system: 'mem', target: { account: 'acme' }, ceiling: ['write'], delegable: true } as never,
        { system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:write', 'repo:api', 'repo:web'], delegable: true } as never,
      ],
    })
    const rootSdk = createAgentClient({ brokerUrl: t.url, handle: root.handle, privateKey: { ...(await exportJWK(root.privateKey)), alg: 'EdDSA' } })
    const ceilings = { mem: ['read'], 'github-acme': ['contents:read', 'repo:api'] }
    const a = await rootSdk.spawnChild({ name: 'worker-a', ceilings })
    const b = await rootSdk.spawnChild({ name: 'worker-b', ceilings })
    const aSdk = createAgentClient({ brokerUrl: t.url, handle: a.handle, privateKey: { ...a.privateJwk!, alg: 'EdDSA' } })
    const grand = await aSdk.spawnChild({ name: 'tests', ceilings })
    expect(grand.handle).toBe(`tests.${a.handle}`)

    const all = [{ handle: root.handle, sdk: rootSdk }, { handle: a.handle, sdk: aSdk }, ...[b, grand].map((c) => ({ handle: c.handle, sdk: createAgentClient({ brokerUrl: t.url, handle: c.handle, privateKey: { ...c.privateJwk!, alg: 'EdDSA' } }) }))]
    const held: Array<{ handle: string; mem: string; gh: string }> = []
    for (const { handle, sdk } of all) {
      const m = await sdk.exchange({ system: 'mem', scope: 'read' })
      const g = await sdk.exchange({ system: 'github-acme', scope: 'contents:read repo:api' })
      expect(mem.upstream.allows(m.access_token, ['read'])).toBe(true)
      expect((await repo(g.access_token)).status).toBe(200)
      held.push({ handle, mem: m.access_token, gh: g.access_token })
    }

    const plan = await t.admin('POST', `/v1/agents/${root.handle}/revoke?dry_run=1`)
    expect(plan.body.grants).toHaveLength(2)
    expect(plan.body.tree.map((n: { handle: string }) => n.handle)).toEqual([a.handle, b.handle, grand.handle].sort((x, y) => (x === grand.handle ? 1 : y === grand.handle ? -1 : x.localeCompare(y))))
    expect(plan.body.tree.every((n: { grants: unknown[] }) => n.grants.length === 2)).toBe(true)

    const revoked = await t.admin('POST', `/v1/agents/${root.handle}/revoke`, { reason: 'planner done' })
    expect(revoked.status).toBe(202)
    expect(revoked.body.tree.map((n: { agent: { handle: string; status: string } }) => n.agent.status)).toEqual(['revoked', 'revoked', 'revoked'])
    for (const handle of [a.handle, b.handle, grand.handle]) expect((await t.admin('GET', `/v1/agents/${handle}`)).body.status).toBe('revoked')

    const id = revoked.body.revocation.id as string
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}/receipt`)).status === 200, 20_000)
    const receipt = await t.admin('GET', `/v1/revocations/${id}/receipt`)
    const { payload } = await jwtVerify(receipt.body.receipt, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), { issuer: t.issuer, typ: 'lanyard-receipt+jwt' })
    const body = payload as unknown as { grants: Array<{ handle: string; outcome: string; system: string }>; tree: Array<{ handle: string }> }
    expect(body.tree.map((n) => n.handle).sort()).toEqual([a.handle, b.handle, grand.handle].sort())
    for (const { handle } of held) {
      const lines = body.grants.filter((g) => g.handle === handle)
      expect(lines.map((g) => g.system).sort()).toEqual(['github-acme', 'mem'])
      expect(lines.every((g) => g.outcome === 'revoked')).toBe(true)
    }
    for (const { mem: m, gh } of held) {
      expect(mem.upstream.allows(m, [])).toBe(false)
      expect((await repo(gh)).status).toBe(401)
    }
    // Nothing of the tree exchanges again.
    await expect(aSdk.exchange({ system: 'mem', scope: 'write' })).rejects.toBeDefined()
  })

  it('suspending a parent suspends its active descendants; a child past the depth cap is refused', async () => {
    const root = await createTestAgent(t, { handle: uniqueHandle('p'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'], delegable: true } as never] })
    let parent = { handle: root.handle, token: await root.token() }
    const chain: string[] = []
    for (let depth = 1; depth <= 3; depth += 1) {
      const child = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: `d${depth}`, ceilings: { mem: ['read'] } }, parent.token)
      expect(child.status).toBe(201)
      chain.push(child.body.handle)
      const sdk = createAgentClient({ brokerUrl: t.url, handle: child.body.handle, privateKey: { ...child.body.private_jwk, alg: 'EdDSA' }, dpop: false })
      parent = { handle: child.body.handle, token: await sdk.token() }
    }
    const tooDeep = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'd4', ceilings: { mem: ['read'] } }, parent.token)
    expect(tooDeep.status).toBe(409)
    expect(tooDeep.body.code).toBe('ERR_DELEGATION_DEPTH')

    expect((await t.admin('POST', `/v1/agents/${root.handle}/suspend`, { reason: 'pause' })).status).toBe(200)
    for (const handle of chain) expect((await t.admin('GET', `/v1/agents/${handle}`)).body.status).toBe('suspended')
  })
})
