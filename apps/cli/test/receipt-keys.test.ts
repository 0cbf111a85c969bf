import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunningBroker } from '@lanyard/broker'
import { FakeClock } from '@lanyard/core/testing'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/**
 * A receipt is evidence, kept for longer than its signing key stays in the JWKS. The broker runs
 * on a fake clock here so that the key can be rotated and then outlive its retention.
 */
const adminToken = `test-admin-token-${randomBytes(12).toString('hex')}`
const clock = new FakeClock(new Date())
let started: CliBroker | undefined
let dir: string
let broker: RunningBroker

beforeAll(async () => {
  started = await startCliBroker({ adminToken, config: { logLevel: 'silent' }, clock })
  ;({ dir, broker } = started)
})
afterAll(() => started?.close())

const call = <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => started!.admin<T>(method, path, body)

describe('receipts outlive the rotation of their signing key', () => {
  it('verify-receipt --url checks a receipt whose key has left the JWKS against the broker\'s receipt keys', async () => {
    const handle = 'retired-bot@agents.receipts.test'
    await call('POST', '/v1/agents', { handle, owner: 'sec@acme.test' })
    const { revocation } = await call<{ revocation: { id: string } }>('POST', `/v1/agents/${handle}/revoke`, { reason: 'owner left' })
    const { receipt } = await call<{ receipt: string }>('GET', `/v1/revocations/${revocation.id}/receipt`)
    const { kid } = decodeProtectedHeader(receipt)
    await writeFile(join(dir, 'receipt.jws'), receipt)

    await call('POST', '/v1/signing-keys/rotate', { alg: 'EdDSA' })
    clock.advance(30 * 24 * 3600 * 1000)
    const jwks = await call<{ keys: Array<{ kid: string }> }>('GET', '/.well-known/jwks.json')
    expect(jwks.keys.map((key) => key.kid)).not.toContain(kid)
    const discovery = await call<{ lanyard_receipt_keys_uri: string }>('GET', '/.well-known/openid-configuration')
    expect(discovery.lanyard_receipt_keys_uri).toBe(`${broker.issuer}/.well-known/lanyard-receipt-keys.json`)
    await writeFile(join(dir, 'jwks-now.json'), JSON.stringify(jwks))
    // Public halves only: the old key and the new one, no private member.
    const receiptKeys = await call<{ keys: Array<{ kid: string; d?: string; p?: string }> }>('GET', '/.well-known/lanyard-receipt-keys.json')
    expect(receiptKeys.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([kid, ...jwks.keys.map((key) => key.kid)]))
    expect(receiptKeys.keys.every((key) => key.d === undefined && key.p === undefined)).toBe(true)

    const [viaUrl, viaCurrentJwks] = await Promise.all([
      runCli(['revocations', 'verify-receipt', 'receipt.jws'], { env: { LANYARD_URL: broker.url }, cwd: dir }),
      runCli(['revocations', 'verify-receipt', 'receipt.jws', '--jwks', 'jwks-now.json'], { env: { LANYARD_URL: 'http://127.0.0.1:9' }, cwd: dir }),
    ])
    expect(viaUrl).toMatchObject({ code: 0, stderr: '' })
    expect(viaUrl.stdout).toMatch(new RegExp(`^receipt verified: signed by ${broker.issuer} with key ${kid} \\(EdDSA\\)`))
    expect(viaCurrentJwks.code).toBe(7)
    expect(viaCurrentJwks.stderr).toMatch(/^error: receipt does not verify: .*\(ERR_JWKS_NO_MATCHING_KEY\); the key is not among those given/)
  })
})
