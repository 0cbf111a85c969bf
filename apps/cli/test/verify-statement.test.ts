import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

const adminToken = `test-admin-token-${randomBytes(12).toString('hex')}`
let started: CliBroker | undefined

beforeAll(async () => {
  started = await startCliBroker({ adminToken, config: { logLevel: 'silent' } })
})
afterAll(() => started?.close())

describe('lanyard verify-statement', () => {
  it('prints valid (exit 0) for a public active agent, revoked (exit 7) once it is revoked, and refuses a tampered one', async () => {
    const { dir, broker } = started!
    const handle = `cli-signer-${randomBytes(3).toString('hex')}@agents.test.dev`
    await started!.admin('POST', '/v1/agents', { handle, owner: 'owner@acme.dev', presence: 'public' })
    const pair = await generateKeyPair('EdDSA', { extractable: true })
    const publicJwk = await exportJWK(pair.publicKey)
    await started!.admin('POST', `/v1/agents/${handle}/keys`, { jwk: publicJwk })
    const statement = await createAgentClient({ brokerUrl: broker.url, handle, privateKey: pair.privateKey }).signStatement({ ticket: 'OPS-9' })
    await writeFile(join(dir, 'statement.jws'), `${statement}\n`)

    const valid = await runCli(['verify-statement', 'statement.jws', '--issuer', broker.issuer, '--json'], { cwd: dir })
    expect(valid.code).toBe(0)
    expect(JSON.parse(valid.stdout)).toMatchObject({ verdict: 'valid', handle, kid: await calculateJwkThumbprint(publicJwk), status: { status: 'active' }, payload: { ticket: 'OPS-9' } })

    const [h, , s] = statement.split('.') as [string, string, string]
    const tampered = await runCli(['verify-statement', '-', '--issuer', broker.issuer], { cwd: dir, input: `${h}.${Buffer.from(JSON.stringify({ ticket: 'OPS-10', iss: handle })).toString('base64url')}.${s}` })
    expect(tampered.code).toBe(7)
    expect(tampered.stderr).toMatch(/signature-invalid/)

    await started!.admin('POST', `/v1/agents/${handle}/revoke`, { reason: 'done' })
    const revoked = await runCli(['verify-statement', 'statement.jws', '--issuer', broker.issuer], { cwd: dir })
    expect(revoked.code).toBe(7)
    expect(revoked.stdout).toMatch(/^revoked: /)
  })
})
