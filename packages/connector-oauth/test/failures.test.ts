import { generateKeyPairSync } from 'node:crypto'
import { SecretValue } from '@lanyard/connector-sdk'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { OAuthSandbox } from '@lanyard/sandbox'
import { harness, LEDGER, sandboxOptions, secrets, startOAuthSandbox, systemConfig } from './fixture.js'
import type { Harness } from './fixture.js'

const request = ['read', `resource:${LEDGER}`]
const never = () => new AbortController().signal
let sandbox: OAuthSandbox
let h: Harness

beforeAll(async () => {
  sandbox = await startOAuthSandbox(sandboxOptions())
  h = harness(systemConfig(sandbox))
  // Discovery done while the server is up: the cases below fail the token request itself.
  await h.instance.validateBinding({ clientId: 'deploy-bot' }, request, never())
})
afterEach(() => sandbox.up())
afterAll(() => sandbox.close())

/** The issue fails with `code`, nothing reaches the caller, and the server minted nothing. */
async function refusedWithNothingIssued(code: string, promise: () => Promise<unknown>) {
  const before = sandbox.issuedTokens().length
  const error = await promise().then(
    () => expect.fail('issue succeeded'),
    (e: unknown) => e as { code: string; message: string; detail?: string },
  )
  expect(error.code).toBe(code)
  for (const secret of Object.values(secrets)) expect(`${error.message} ${error.detail}`).not.toContain(secret.slice(0, 8))
  await sandbox.up()
  expect(sandbox.issuedTokens()).toHaveLength(before)
  return error
}

describe('a server that is down, slow, or refuses the client', () => {
  test('down (connection refused): UpstreamUnavailable, nothing issued', async () => {
    await sandbox.down('refuse')
    const error = await refusedWithNothingIssued('ERR_UPSTREAM_UNAVAILABLE', () => h.issue('deploy-bot', request))
    expect(error.message).toBe('system "corp-idp" is unavailable')
    expect(error.detail).toBe('network: ECONNREFUSED')
  })

  test('down (503): UpstreamUnavailable, nothing issued', async () => {
    await sandbox.down('unavailable')
    const error = await refusedWithNothingIssued('ERR_UPSTREAM_UNAVAILABLE', () => h.issue('deploy-bot', request))
    expect(error).toMatchObject({ answer: 'HTTP 503', retryAfterMs: 1000, detail: 'HTTP 503, retry after 1000 ms' })
  })

  test('slow past timeoutMs: UpstreamUnavailable, and the late request never mints', async () => {
    const impatient = harness(systemConfig(sandbox, { timeoutMs: 500 }))
    await impatient.instance.validateBinding({ clientId: 'deploy-bot' }, request, never())
    sandbox.slow(30_000)
    const error = await refusedWithNothingIssued('ERR_UPSTREAM_UNAVAILABLE', () => impatient.issue('deploy-bot', request))
    expect(error.detail).toBe('timed out')
  })

  test('invalid_client: UpstreamRefused saying so, no secret in the error, nothing issued', async () => {
    const wrong = harness(
      systemConfig(sandbox, { clients: [{ clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: new SecretValue('0000000000000000-wrong-secret') }] }),
    )
    const error = await refusedWithNothingIssued('ERR_UPSTREAM_REFUSED', () => wrong.issue('deploy-bot', request))
    expect(error.message).toBe('system "corp-idp" refused the request: invalid_client: the server rejected the client credentials')
    expect(error.detail).toBe('HTTP 401')
  })

  test('the caller aborting: UpstreamUnavailable, nothing issued', async () => {
    sandbox.slow(30_000)
    const controller = new AbortController()
    const pending = h.issue('deploy-bot', request, { signal: controller.signal })
    controller.abort()
    const error = await refusedWithNothingIssued('ERR_UPSTREAM_UNAVAILABLE', () => pending)
    expect(error.detail).toBe('aborted by the caller')
  })

  test('revoke while the server is down throws UpstreamUnavailable (the cascade retries); later it revokes', async () => {
    const issued = await h.issue('deploy-bot', request)
    await sandbox.down('unavailable')
    await expect(h.instance.revoke(h.revokeRequest(issued), never())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    await sandbox.up()
    expect(await h.instance.revoke(h.revokeRequest(issued), never())).toEqual({ kind: 'revoked' })
  })

  test('health reports the outage without secrets, then recovers', async () => {
    await sandbox.down('refuse')
    expect(await h.instance.health(never())).toEqual({ ok: false, detail: 'network: ECONNREFUSED' })
    await sandbox.up()
    expect(await h.instance.health(never())).toEqual({ ok: true })
  })

  test('a discovery that failed is not cached: the next call discovers again', async () => {
    await sandbox.down('refuse')
    const fresh = harness(systemConfig(sandbox))
    await expect(fresh.issue('deploy-bot', request)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    await sandbox.up()
    expect((await fresh.issue('deploy-bot', request)).credential.tokenType).toBe('Bearer')
  })
})

describe('validateBinding', () => {
  test('checks the client credentials at the server without minting', async () => {
    const before = sandbox.issuedTokens().length
    const wrong = harness(
      systemConfig(sandbox, { clients: [{ clientId: 'report-bot', auth: 'client_secret_post', clientSecret: new SecretValue('1111111111111111-wrong-secret') }] }),
    )
    await expect(wrong.instance.validateBinding({ clientId: 'report-bot' }, request, never())).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      reason: expect.stringMatching(/^invalid_client/),
    })
    expect(await h.instance.validateBinding({ clientId: 'report-bot' }, request, never())).toEqual({ clientId: 'report-bot' })
    expect(sandbox.issuedTokens()).toHaveLength(before)
  })

  test('a ceiling without a resource, or a client the system lacks, is BindingInvalid', async () => {
    await expect(h.instance.validateBinding({ clientId: 'deploy-bot' }, ['read'], never())).rejects.toMatchObject({ code: 'ERR_BINDING_INVALID' })
    await expect(h.instance.validateBinding({ clientId: 'ghost' }, request, never())).rejects.toMatchObject({
      code: 'ERR_BINDING_INVALID',
      message: 'binding is invalid: client "ghost" is not configured for system "corp-idp"',
    })
  })
})

describe('servers without revocation or introspection', () => {
  test('no revocation endpoint: no token kept, unrevocable until it expires', async () => {
    const bare = await startOAuthSandbox(sandboxOptions({ revocation: false, introspection: false }))
    try {
      const b = harness(systemConfig(bare))
      const issued = await b.issue('deploy-bot', request)
      expect(issued.revocationSecret).toBeUndefined()
      expect(issued.ref).toMatchObject({ tracked: true, format: 'opaque' })
      expect(await b.instance.revoke(b.revokeRequest(issued), never())).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    } finally {
      await bare.close()
    }
  })

  test('explicit endpoints, no discovery: a token endpoint alone issues; revocation needs its endpoint', async () => {
    const e = harness(systemConfig(sandbox, { endpoints: { token: `${sandbox.issuer}/token`, revocation: `${sandbox.issuer}/token/revocation` } }))
    const issued = await e.issue('key-bot', request)
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, clientId: 'key-bot' })
    // Opaque and no introspection to confirm: RFC 7009's answer is trusted, as only the server resolves the token.
    expect(await e.instance.revoke(e.revokeRequest(issued), never())).toEqual({ kind: 'revoked' })
    expect((await sandbox.inspect(issued.credential.accessToken)).active).toBe(false)
  })
})

describe('private_key_jwt keys', () => {
  const keyBot = (privateKey: string, extra: Record<string, unknown> = {}) =>
    systemConfig(sandbox, { clients: [{ clientId: 'key-bot', auth: 'private_key_jwt', privateKey: new SecretValue(privateKey), ...extra }] })

  test('a private JWK works like the PEM', async () => {
    const { keyBotPem } = await import('./fixture.js')
    const { createPrivateKey } = await import('node:crypto')
    const jwk = JSON.stringify(createPrivateKey(keyBotPem).export({ format: 'jwk' }))
    const issued = await harness(keyBot(jwk, { keyId: 'key-bot-1' })).issue('key-bot', request)
    expect(issued.credential.tokenType).toBe('Bearer')
  })

  test('a key the server does not have for the client is invalid_client', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    await expect(harness(keyBot(other)).issue('key-bot', request)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_REFUSED', reason: expect.stringMatching(/^invalid_client/) })
  })
})
