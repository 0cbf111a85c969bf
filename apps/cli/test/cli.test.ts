import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '@lanyard/broker'
import type { RunningBroker } from '@lanyard/broker'
import { calculateJwkThumbprint, createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

/**
 * The CLI as a user runs it: a subprocess against a real broker (embedded store, the `memory`
 * connector as the one system). Each spawn costs about a second, so the cases follow one
 * agent's life in order, and independent commands run concurrently.
 */
const handle = 'deploy-bot@agents.cli.test'
const adminToken = `test-admin-token-${randomBytes(12).toString('hex')}`
let dir: string
let broker: RunningBroker
let env: Record<string, string>
const cli = (...args: string[]) => runCli(args, { env, cwd: dir })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanyard-cli-'))
  const config = join(dir, 'lanyard.yaml')
  // The broker creates its data folder only when it generates a secret there (not with both in env).
  await mkdir(join(dir, 'data'), { mode: 0o700 })
  await writeFile(config, JSON.stringify({ logLevel: 'silent', systems: [{ name: 'mem', type: 'memory', upstream: `cli-${randomBytes(4).toString('hex')}` }] }))
  broker = await startBroker({
    config,
    env: { LANYARD_DATA_DIR: join(dir, 'data'), LANYARD_LISTEN: '127.0.0.1:0', LANYARD_ADMIN_TOKEN: adminToken, LANYARD_MASTER_KEY: randomBytes(32).toString('base64') },
    notice: () => {},
  })
  env = { LANYARD_URL: broker.url, LANYARD_ADMIN_TOKEN: adminToken }
})
afterAll(async () => {
  await broker?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Nothing a command prints, success or failure, may contain a token it was not asked for. */
function expectNoSecret(...outputs: string[]) {
  for (const output of outputs) {
    expect(output).not.toContain(adminToken)
    expect(output).not.toMatch(/eyJ[\w-]+\.eyJ/)
  }
}

describe('lanyard (admin and agent commands against a real broker)', { timeout: 30_000 }, () => {
  let keyFile: string
  let grantId: string

  it('agents create: a table by default, JSON with --json; list and show find them', async () => {
    const [created, json] = await Promise.all([
      cli('agents', 'create', handle, '--owner', 'sec@acme.dev', '--tier', '2', '--label', 'team=infra', '--label', 'env=prod'),
      cli('agents', 'create', 'other-bot@agents.cli.test', '--owner', 'ops@acme.dev', '--json'),
    ])
    expect(created).toMatchObject({ code: 0, stderr: '' })
    expect(created.stdout).toMatch(new RegExp(`^created agent ${handle}\\nhandle: +${handle}\\n`))
    expect(created.stdout).toMatch(/^labels: +team=infra env=prod$/m)
    expect(JSON.parse(json.stdout)).toMatchObject({ handle: 'other-bot@agents.cli.test', owner: 'ops@acme.dev', status: 'active', tier: 0 })

    const list = await cli('agents', 'list', '--owner', 'sec@acme.dev')
    expect(list.stdout.split('\n')).toEqual([expect.stringMatching(/^HANDLE +OWNER +STATUS +TIER +GEN +CREATED$/), expect.stringMatching(new RegExp(`^${handle} +sec@acme.dev +active +2 +1 +\\d{4}-`)), ''])
  })

  it('keys add --generate writes the private JWK with mode 0600 and registers only the public half', async () => {
    keyFile = join(dir, 'bot.jwk')
    const result = await cli('keys', 'add', handle, '--generate', '--out', keyFile)
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const jwk = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, string>
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) })
    const kid = await calculateJwkThumbprint(jwk, 'sha256')
    expect(result.stdout).toContain(`registered key ${kid} (EdDSA) for ${handle}`)
    expect(result.stdout).not.toContain(jwk.d)

    const [again, privateAsPublic] = await Promise.all([cli('keys', 'add', handle, '--generate', '--out', keyFile), cli('keys', 'add', handle, '--jwk-file', keyFile)])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`error: ${keyFile} exists; not overwriting a key file\n`)
    expect(privateAsPublic.stderr).toMatch(/holds a private key; register the public key only/)
  })

  it('bind, then as the agent: token prints a handle token the broker signed, exchange prints the credential', async () => {
    const bound = await cli('bind', handle, 'mem', '--target', '{"account":"default"}', '--ceiling', 'read, write')
    expect(bound).toMatchObject({ code: 0, stderr: '' })
    expect(bound.stdout).toMatch(/^bound deploy-bot@agents.cli.test to mem\n/)

    const [token, exchanged] = await Promise.all([
      cli('token', '--handle', handle, '--key', keyFile),
      cli('exchange', '--handle', handle, '--key', keyFile, '--system', 'mem', '--scope', 'read'),
    ])
    expect(token.code).toBe(0)
    const { payload } = await jwtVerify(token.stdout.trim(), createRemoteJWKSet(new URL(`${broker.url}/.well-known/jwks.json`)), { issuer: broker.issuer, subject: handle })
    expect(payload.sub).toBe(handle)
    const credential = JSON.parse(exchanged.stdout) as Record<string, string>
    expect(credential).toMatchObject({ access_token: expect.any(String), scope: 'read', grant_id: expect.any(String), expires_at: expect.stringMatching(/^\d{4}-/) })
    grantId = credential.grant_id as string
  })

  it('grants, whois and audit --verify show what was issued; audit --format jsonl is one event per line', async () => {
    const [grants, whois, audit, jsonl] = await Promise.all([
      cli('grants', handle, '--json'),
      cli('whois', '--grant-id', grantId),
      cli('audit', handle, '--verify'),
      cli('audit', handle, '--format', 'jsonl'),
    ])
    expect(JSON.parse(grants.stdout)).toMatchObject({ grants: [{ id: grantId, system: 'mem', scopes: ['read'], status: 'live' }] })
    expect(whois.stdout).toMatch(new RegExp(`^${handle} +sec@acme.dev +${grantId} +mem +read +live`, 'm'))
    expect(audit).toMatchObject({ code: 0, stderr: '' })
    expect(audit.stdout).toMatch(/^chain verified: \d+ event\(s\), head [0-9a-f]{64}$/m)
    const events = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; action: string })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]?.action).toBe('agent.created')
    expectNoSecret(grants.stdout, whois.stdout, audit.stdout, jsonl.stdout)
  })

  it('suspend and resume change the status, with the reason', async () => {
    const suspended = await cli('agents', 'suspend', handle, '--reason', 'investigating')
    expect(suspended.stdout).toMatch(/^status: +suspended \(investigating\)$/m)
    const [listed, refused] = await Promise.all([cli('--json', 'agents', 'list', '--status', 'suspended'), cli('exchange', '--handle', handle, '--key', keyFile, '--system', 'mem')])
    expect((JSON.parse(listed.stdout) as { agents: { handle: string }[] }).agents.map((a) => a.handle)).toEqual([handle])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error: invalid_grant: .+ \(HTTP 400\)\n$/)
    const resumed = await cli('agents', 'resume', handle, '--reason', 'cleared')
    expect(resumed.stdout).toMatch(/^status: +active \(cleared\)$/m)
  })

  it('agents revoke --dry-run changes nothing; revoke --wait follows the cascade and prints a per-system summary', async () => {
    const plan = await cli('agents', 'revoke', handle, '--dry-run')
    expect(plan).toMatchObject({ code: 0, stderr: '' })
    expect(plan.stdout).toMatch(new RegExp(`^dry run, nothing changed: revoking ${handle} would revoke 1 live grant\\(s\\); the last expires at \\d{4}-.+\\nGRANT +SYSTEM +SCOPES +EXPIRES +HOW\\n${grantId} +mem +read +\\d{4}-\\S+ +\\S.*\\n$`))
    const result = await cli('agents', 'revoke', handle, '--reason', 'key leaked', '--wait')
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.split('\n')
    expect(lines[0]).toMatch(new RegExp(`^revoked agent ${handle} \\(generation \\d+\\); revocation [\\w-]+$`))
    expect(lines).toContain('1/1 grants')
    expect(result.stdout).toMatch(/^SYSTEM +REVOKED +EXPIRED +UNREVOCABLE +FAILED +PENDING\nmem +1 +0 +0 +0 +0$/m)
    const grants = await fetch(`${broker.url}/v1/agents/${handle}/grants`, { headers: { authorization: `Bearer ${adminToken}` } })
    expect(await grants.json()).toMatchObject({ grants: [{ id: grantId, status: 'revoked' }] })
  })

  it('refusals are one line on stderr with exit 1; usage errors exit 2; no token is ever printed', async () => {
    const [missing, badToken, usage, unknownSystem, noKey] = await Promise.all([
      cli('agents', 'show', 'nobody@agents.cli.test'),
      runCli(['agents', 'list'], { env: { LANYARD_URL: broker.url, LANYARD_ADMIN_TOKEN: 'not-the-admin-token' }, cwd: dir }),
      cli('bind', handle, 'mem', '--target', '{}'),
      cli('bind', 'other-bot@agents.cli.test', 'nope', '--target', '{}', '--ceiling', 'read'),
      runCli(['agents', 'list'], { env: { LANYARD_URL: broker.url }, cwd: dir }),
    ])
    expect(missing).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: .*nobody@agents.cli.test.* \(ERR_AGENT_NOT_FOUND, HTTP 404\)\n$/) })
    expect(badToken.code).toBe(1)
    expect(badToken.stderr).toMatch(/^error: .*\(.*HTTP 401\)\n$/)
    expect(badToken.stderr).not.toContain('not-the-admin-token')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/required option '--ceiling <scopes>' not specified/)
    expect(unknownSystem.code).toBe(1)
    expect(unknownSystem.stderr.trim().split('\n')).toHaveLength(1)
    expect(noKey).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: no admin token: pass --token/) })
    expectNoSecret(...[missing, badToken, usage, unknownSystem, noKey].flatMap((r) => [r.stdout, r.stderr]))
  })
})
