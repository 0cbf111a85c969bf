import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunningBroker } from '@lanyard/broker'
import { createAgentClient } from '@lanyard/client'
import type { AgentClient } from '@lanyard/client'
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
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
let started: CliBroker | undefined
const cli = (...args: string[]) => runCli(args, { env, cwd: dir })

beforeAll(async () => {
  started = await startCliBroker({ adminToken, config: { logLevel: 'silent', systems: ['mem', 'mem2'].map((name) => ({ name, type: 'memory', upstream: `cli-${randomBytes(4).toString('hex')}` })) } })
  ;({ dir, broker, env } = started)
})
afterAll(() => started?.close())

const admin = <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => started!.admin<T>(method, path, body)

/** An agent with a key and bindings, enrolled in-process (no subprocess): its SDK client. */
async function enrol(agentHandle: string, owner: string, systems: string[]): Promise<AgentClient> {
  await admin('POST', '/v1/agents', { handle: agentHandle, owner })
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  await admin('POST', `/v1/agents/${agentHandle}/keys`, { jwk: await exportJWK(publicKey) })
  for (const system of systems) await admin('POST', `/v1/agents/${agentHandle}/bindings`, { system, target: { account: 'default' }, ceiling: ['read', 'write'] })
  return createAgentClient({ brokerUrl: broker.url, handle: agentHandle, privateKey: { ...(await exportJWK(privateKey)), alg: 'EdDSA' } })
}

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
  /** `audit --format jsonl` of the first agent, verified offline in the last case. */
  let exported: string

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
    // `grants <handle>`, as before `grants revoke` existed: `list` is the default subcommand.
    const [grants, whois, audit, jsonl] = await Promise.all([
      cli('grants', handle, '--status', 'live', '--json'),
      cli('whois', '--grant-id', grantId),
      cli('audit', handle, '--verify'),
      cli('audit', '--verify', handle, '--format', 'jsonl'),
    ])
    expect(JSON.parse(grants.stdout)).toMatchObject({ grants: [{ id: grantId, system: 'mem', scopes: ['read'], status: 'live' }] })
    expect(whois.stdout).toMatch(new RegExp(`^${handle} +sec@acme.dev +${grantId} +mem +read +live`, 'm'))
    expect(audit).toMatchObject({ code: 0, stderr: '' })
    // The broker's verdict and the CLI's own recomputation of every hash agree on its real chain.
    expect(audit.stdout).toMatch(/^chain verified: \d+ event\(s\), head [0-9a-f]{64}\nchecked twice: by the broker, and recomputed here from the events read\n$/m)
    expect(jsonl.stderr).toMatch(/^chain verified: \d+ event\(s\), head [0-9a-f]{64}\nchecked twice/)
    exported = jsonl.stdout
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
    expect(refused.code).toBe(5)
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
    expect(result.stdout).toMatch(/^SYSTEM +REVOKED +EXPIRED +UNREVOCABLE +FAILED +PENDING\nmem +1 +0 +0 +0 +0\nfull dark since \d{4}-\S+Z: no credential it covered works any more \(receipt: 1 proven dead, 0 revoked without proof, 0 dead by expiry, 0 failed\)\n$/m)
    const grants = await fetch(`${broker.url}/v1/agents/${handle}/grants`, { headers: { authorization: `Bearer ${adminToken}` } })
    expect(await grants.json()).toMatchObject({ grants: [{ id: grantId, status: 'revoked' }] })
  })

  const grantBot = 'grant-bot@agents.cli.test'
  const pauseBot = 'pause-bot@agents.cli.test'
  const teamBot = 'team-bot@agents.cli.test'
  const fullDark = /^full dark since \d{4}-\S+Z: no credential it covered works any more \(receipt: \d+ proven dead, \d+ revoked without proof, 0 dead by expiry, 0 failed\)$/m
  const revocationIds: Record<'grant' | 'suspend' | 'owner', string> = { grant: '', suspend: '', owner: '' }
  /** `bindings revoke --wait --json`: the job and its receipt, signed before the key rotation. */
  let bindingReceiptJson: string

  it('grants revoke, bindings revoke, agents suspend --revoke-grants and owners revoke: --wait ends with the receipts\' full-dark time', async () => {
    const [a, b, c] = await Promise.all([enrol(grantBot, 'sec2@acme.dev', ['mem', 'mem2']), enrol(pauseBot, 'sec2@acme.dev', ['mem']), enrol(teamBot, 'ops@acme.dev', ['mem'])])
    const [a1] = await Promise.all([a.exchange({ system: 'mem', scope: 'read' }), a.exchange({ system: 'mem2', scope: 'read' }), a.exchange({ system: 'mem2', scope: 'write' }), b.exchange({ system: 'mem' }), c.exchange({ system: 'mem' })])

    const [grant, binding, suspend, owner] = await Promise.all([
      cli('grants', 'revoke', grantBot, a1.grant_id as string, '--reason', 'one token leaked', '--wait'),
      cli('--json', 'bindings', 'revoke', grantBot, 'mem2', '--reason', 'mem2 access ended', '--wait'),
      cli('agents', 'suspend', pauseBot, '--reason', 'investigating', '--revoke-grants', '--wait'),
      cli('owners', 'revoke', 'ops@acme.dev', '--reason', 'team disbanded', '--wait'),
    ])
    for (const result of [grant, binding, suspend, owner]) expect(result).toMatchObject({ code: 0, stderr: '' })
    revocationIds.grant = /^revoking grant \S+ of grant-bot@agents.cli.test; revocation (\S+)$/m.exec(grant.stdout)?.[1] ?? ''
    expect(grant.stdout).toMatch(/^mem +1 +0 +0 +0 +0$/m)
    expect(grant.stdout).toMatch(fullDark)

    bindingReceiptJson = binding.stdout
    const bound = JSON.parse(binding.stdout) as { revocation: { status: string; scope: unknown; tasks: { system: string; outcome?: { kind: string } }[] }; receipt: { receipt: string; full_dark_at: string; summary: Record<string, number> } }
    expect(bound.revocation).toMatchObject({ status: 'done', scope: { kind: 'binding', handle: grantBot } })
    expect(bound.revocation.tasks.map((t) => [t.system, t.outcome?.kind])).toEqual([['mem2', 'revoked'], ['mem2', 'revoked']])
    expect(bound.receipt).toMatchObject({ receipt: expect.stringMatching(/^eyJ/), full_dark_at: expect.any(String), summary: { failed: 0, dead_by_expiry: 0 } })

    revocationIds.suspend = new RegExp(`^suspended agent ${pauseBot} \\(generation \\d+\\); revocation (\\S+)$`, 'm').exec(suspend.stdout)?.[1] ?? ''
    expect(suspend.stdout).toMatch(/^mem +1 +0 +0 +0 +0$/m)
    expect(suspend.stdout).toMatch(fullDark)

    expect(owner.stdout).toMatch(/^revoked 2 agent\(s\) of ops@acme.dev\nHANDLE +REVOCATION +GRANTS\n/)
    revocationIds.owner = new RegExp(`^${teamBot} +(\\S+) +1$`, 'm').exec(owner.stdout)?.[1] ?? ''
    expect(owner.stdout).toMatch(/^other-bot@agents.cli.test +\S+ +0$/m)
    expect(owner.stdout).toMatch(/^2 revocations done:\nSYSTEM.*\nmem +1 +0 +0 +0 +0$/m)
    expect(owner.stdout).toMatch(fullDark)
    expect(Object.values(revocationIds).every((id) => id !== '')).toBe(true)

    // What the broker now holds: every grant revoked; the suspended agent can be resumed, the others are gone.
    const [grantsA, grantsB, grantsC, paused, team] = await Promise.all([
      admin<{ grants: { status: string }[] }>('GET', `/v1/agents/${grantBot}/grants`),
      admin<{ grants: { status: string }[] }>('GET', `/v1/agents/${pauseBot}/grants`),
      admin<{ grants: { status: string }[] }>('GET', `/v1/agents/${teamBot}/grants`),
      admin<{ status: string }>('GET', `/v1/agents/${pauseBot}`),
      admin<{ status: string }>('GET', `/v1/agents/${teamBot}`),
    ])
    expect([...grantsA.grants, ...grantsB.grants, ...grantsC.grants].map((g) => g.status)).toEqual(['revoked', 'revoked', 'revoked', 'revoked', 'revoked'])
    expect([paused.status, team.status]).toEqual(['suspended', 'revoked'])
  })

  it('revocations show (the job, a receipt); keys rotate-signing; verify-receipt and audit verify-file check offline, and catch tampering', async () => {
    const jwksBefore = join(dir, 'jwks-before-rotation.json')
    await writeFile(jwksBefore, JSON.stringify(await admin('GET', '/.well-known/jwks.json')))
    const [shown, receipt, receiptJson, rotated] = await Promise.all([
      cli('revocations', 'show', revocationIds.grant),
      cli('revocations', 'show', revocationIds.suspend, '--receipt'),
      cli('--json', 'revocations', 'show', revocationIds.suspend, '--receipt'),
      cli('--json', 'keys', 'rotate-signing'),
    ])
    expect(shown).toMatchObject({ code: 0, stderr: '' })
    expect(shown.stdout).toMatch(new RegExp(`^revocation: +${revocationIds.grant}\\nscope: +grant \\S+ of ${grantBot}\\nreason: +one token leaked\\n(.+\\n){3}status: +done\\ngrants: +1\\n`))
    expect(shown.stdout).toMatch(/^GRANT +SYSTEM +STATUS +ATTEMPTS +OUTCOME +PROOF +UNTIL \/ ERROR\n\S+ +mem +done +\d+ +revoked +dead +-$/m)
    expect(receipt.stdout).toMatch(new RegExp(`^receipt of revocation ${revocationIds.suspend}, signed by the broker \\(the JWS: --json\\)\\n`))
    expect(receipt.stdout).toMatch(fullDark)
    const suspendReceipt = await admin<{ full_dark_at: string; summary: unknown }>('GET', `/v1/revocations/${revocationIds.suspend}/receipt`)
    expect(JSON.parse(receiptJson.stdout)).toMatchObject({ receipt: expect.stringMatching(/^eyJ/), full_dark_at: suspendReceipt.full_dark_at, summary: suspendReceipt.summary })
    const newKey = JSON.parse(rotated.stdout) as { kid: string; alg: string }
    expect(newKey.alg).toBe('EdDSA')

    // Signed after the rotation, by the new key; the binding receipt was signed before it.
    const postRotation = join(dir, 'owner-receipt.jws')
    await writeFile(postRotation, `${(await admin<{ receipt: string }>('GET', `/v1/revocations/${revocationIds.owner}/receipt`)).receipt}\n`)
    const lines = exported.trimEnd().split('\n')
    const head = (JSON.parse(lines.at(-1) as string) as { hash: string }).hash
    const tampered = lines.map((line) => (line.includes('"seq":2,') ? line.replace(/"actor":"[^"]*"/, '"actor":"admin:mallory"') : line))
    expect(tampered).not.toEqual(lines)
    await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`)
    await writeFile(join(dir, 'tampered.jsonl'), `${tampered.join('\n')}\n`)
    // Offline: no token, and a --url where nothing listens.
    const offline = { LANYARD_URL: 'http://127.0.0.1:9' }
    const [viaUrl, viaJwks, file, tamperedFile] = await Promise.all([
      cli('revocations', 'verify-receipt', postRotation),
      runCli(['revocations', 'verify-receipt', '-', '--jwks', jwksBefore, '--issuer', broker.issuer], { env: offline, cwd: dir, input: bindingReceiptJson }),
      runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, '--head', head], { env: offline, cwd: dir }),
      runCli(['audit', 'verify-file', 'tampered.jsonl', '--handle', handle], { env: offline, cwd: dir }),
    ])
    expect(viaUrl).toMatchObject({ code: 0, stderr: '' })
    expect(viaUrl.stdout).toMatch(new RegExp(`^receipt verified: signed by ${broker.issuer} with key ${newKey.kid} \\(EdDSA\\), issued \\d{4}-\\S+\\n`))
    expect(viaUrl.stdout).toMatch(new RegExp(`^scope: +agent ${teamBot}$`, 'm'))
    expect(viaUrl.stdout).toMatch(/^it proves the broker stated: 1 grant\(s\) revoked and checked dead upstream, 0 revoked without an upstream check, 0 dead only by expiry, 0 failed/m)
    expect(viaUrl.stdout).toMatch(fullDark)
    expect(viaJwks).toMatchObject({ code: 0, stderr: '' })
    expect(viaJwks.stdout).toMatch(/^receipt verified: signed by \S+ with key (\S+) \(EdDSA\)/)
    expect(viaJwks.stdout).not.toContain(newKey.kid)
    expect(viaJwks.stdout).toMatch(new RegExp(`^scope: +binding \\S+ of ${grantBot}$`, 'm'))
    expect(viaJwks.stdout).toMatch(/^\S+ +mem2 +revoked +\S+ +\d{4}-\S+ +\d{4}-\S+$/m)
    expect(file).toEqual({ code: 0, stdout: `chain verified: ${lines.length} event(s), head ${head}\n`, stderr: '' })
    expect(tamperedFile).toEqual({ code: 7, stdout: 'chain BROKEN at seq 2: hash does not match the event\n', stderr: `error: audit chain in tampered.jsonl does not verify for ${handle}\n` })
  })

  it('keys rotate --generate replaces the key (old tokens stop exchanging), keys remove takes the last one, bindings remove cuts and deletes', async () => {
    const rotateBot = 'rotate-bot@agents.cli.test'
    const client = await enrol(rotateBot, 'sec3@acme.dev', ['mem', 'mem2'])
    const [oldKid] = (await admin<{ keys: { kid: string }[] }>('GET', `/v1/agents/${rotateBot}`)).keys.map((k) => k.kid)
    const before = await client.exchange({ system: 'mem2', scope: 'read' })
    const newFile = join(dir, 'rotated.jwk')
    const rotated = await cli('keys', 'rotate', rotateBot, '--generate', '--out', newFile)
    expect(rotated).toMatchObject({ code: 0, stderr: '' })
    const jwk = JSON.parse(await readFile(newFile, 'utf8')) as Record<string, string>
    expect((await stat(newFile)).mode & 0o777).toBe(0o600)
    const newKid = await calculateJwkThumbprint(jwk, 'sha256')
    expect(rotated.stdout).toMatch(new RegExp(`^registered key ${newKid} \\(EdDSA\\) for ${rotateBot}\nprivate key written to .+\nremoved key ${oldKid}\ngeneration \\d+: `))
    expect((await admin<{ keys: { kid: string }[] }>('GET', `/v1/agents/${rotateBot}`)).keys.map((k) => k.kid)).toEqual([newKid])
    // The old key no longer authenticates; the new one does, through the CLI.
    await expect(client.exchange({ system: 'mem', scope: 'read' })).rejects.toThrow()
    const [exchanged, removedBinding] = await Promise.all([
      cli('exchange', '--handle', rotateBot, '--key', newFile, '--system', 'mem', '--scope', 'read'),
      cli('bindings', 'remove', rotateBot, 'mem2', '--wait'),
    ])
    expect(exchanged.code).toBe(0)
    expect(removedBinding).toMatchObject({ code: 0, stderr: '' })
    expect(removedBinding.stdout).toMatch(new RegExp(`^removed the binding of ${rotateBot} to mem2; revoking its grants; revocation \\S+$`, 'm'))
    expect(removedBinding.stdout).toMatch(fullDark)
    const grants = await admin<{ grants: { id: string; status: string }[] }>('GET', `/v1/agents/${rotateBot}/grants`)
    expect(grants.grants.find((g) => g.id === before.grant_id)?.status).toBe('revoked')
    expect((await admin<{ bindings: { system: string }[] }>('GET', `/v1/agents/${rotateBot}`)).bindings.map((b) => b.system)).toEqual(['mem'])

    const [removedKey, unknownKey] = await Promise.all([cli('keys', 'remove', rotateBot, newKid), cli('keys', 'remove', rotateBot, oldKid as string)])
    expect(removedKey).toMatchObject({ code: 0, stderr: '' })
    expect(removedKey.stdout).toMatch(new RegExp(`^removed key ${newKid} of ${rotateBot} \\(generation \\d+: `))
    expect(unknownKey.code).toBe(5)
    expect(unknownKey.stderr).toMatch(/ERR_KEY_NOT_FOUND, HTTP 404/)
    const locked = await cli('token', '--handle', rotateBot, '--key', newFile)
    expect(locked.code).toBe(5)
    expectNoSecret(rotated.stdout, removedKey.stdout, locked.stderr, exchanged.stderr)
  }, 120_000)

  it('refusals are one line on stderr with exit 5 (1 for the CLI\'s own); usage errors exit 2; no token is ever printed', async () => {
    const [missing, badToken, usage, unknownSystem, noKey, waitForNothing, noRevocation] = await Promise.all([
      cli('agents', 'show', 'nobody@agents.cli.test'),
      runCli(['agents', 'list'], { env: { LANYARD_URL: broker.url, LANYARD_ADMIN_TOKEN: 'not-the-admin-token' }, cwd: dir }),
      cli('bind', handle, 'mem', '--target', '{}'),
      cli('bind', 'other-bot@agents.cli.test', 'nope', '--target', '{}', '--ceiling', 'read'),
      runCli(['agents', 'list'], { env: { LANYARD_URL: broker.url }, cwd: dir }),
      cli('agents', 'suspend', handle, '--reason', 'r', '--wait'),
      cli('revocations', 'show', 'no-such-revocation'),
    ])
    expect(missing).toEqual({ code: 5, stdout: '', stderr: expect.stringMatching(/^error: .*nobody@agents.cli.test.* \(ERR_AGENT_NOT_FOUND, HTTP 404\)\n$/) })
    expect(badToken.code).toBe(5)
    expect(badToken.stderr).toMatch(/^error: .*\(.*HTTP 401\)\n$/)
    expect(badToken.stderr).not.toContain('not-the-admin-token')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/required option '--ceiling <scopes>' not specified/)
    expect(unknownSystem.code).toBe(5)
    expect(unknownSystem.stderr.trim().split('\n')).toHaveLength(1)
    expect(noKey).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: no admin token: pass --token/) })
    expect(waitForNothing).toEqual({ code: 2, stdout: '', stderr: 'error: --wait follows the revocation of --revoke-grants; without it there is nothing to wait for\n' })
    expect(noRevocation).toMatchObject({ code: 5, stderr: expect.stringMatching(/^error: .*\(ERR_REVOCATION_NOT_FOUND, HTTP 404\)\n$/) })
    expectNoSecret(...[missing, badToken, usage, unknownSystem, noKey, waitForNothing, noRevocation].flatMap((r) => [r.stdout, r.stderr]))
  })
})
