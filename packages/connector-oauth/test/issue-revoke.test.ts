import { createHash } from 'node:crypto'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { OAuthSandbox } from '@lanyard/sandbox'
import { API, harness, LEDGER, NARROW, OTHER, sandboxOptions, secrets, startOAuthSandbox, systemConfig, TRACKED } from './fixture.js'
import type { Harness } from './fixture.js'

let sandbox: OAuthSandbox
let h: Harness

beforeAll(async () => {
  sandbox = await startOAuthSandbox(sandboxOptions())
  h = harness(systemConfig(sandbox))
})
afterAll(() => sandbox.close())

/** The server's own RFC 7662 answer, asked with the client's credentials outside the connector. */
async function introspect(token: string) {
  const config = await oidc.discovery(new URL(sandbox.issuer), 'deploy-bot', undefined, oidc.ClientSecretBasic(secrets.deployBot), {
    execute: [oidc.allowInsecureRequests],
  })
  return oidc.tokenIntrospection(config, token)
}

describe('issue then revoke, opaque tokens the server tracks', () => {
  test('the token introspects active with exactly the narrowed scopes and audience; after revoke, inactive', async () => {
    const issued = await h.issue('deploy-bot', ['read', 'write', `resource:${LEDGER}`])
    const before = await introspect(issued.credential.accessToken)
    expect(before).toMatchObject({ active: true, client_id: 'deploy-bot', aud: LEDGER })
    expect(before.scope?.split(' ').sort()).toEqual(['read', 'write'])
    expect(issued.ref).toMatchObject({ clientId: 'deploy-bot', format: 'opaque', tracked: true })
    expect(issued.revocationSecret).toBe(issued.credential.accessToken)

    expect(await h.instance.revoke(h.revokeRequest(issued), new AbortController().signal)).toEqual({ kind: 'revoked' })

    expect(await introspect(issued.credential.accessToken)).toEqual({ active: false })
    expect(await sandbox.inspect(issued.credential.accessToken)).toEqual({ active: false })
    expect(await h.instance.probe!(h.revokeRequest(issued), new AbortController().signal)).toBe('dead')
  })

  test('the grant expires when the server says (expires_in), read on the host clock', async () => {
    const issued = await h.issue('deploy-bot', ['read', `resource:${LEDGER}`])
    expect(issued.expiresAt.getTime() - h.clock.now().getTime()).toBe(300_000)
  })

  test('whois: the index holds the token hash, as a DPoP proof\'s ath would, and no token', async () => {
    const issued = await h.issue('deploy-bot', ['read', `resource:${LEDGER}`])
    const ath = createHash('sha256').update(issued.credential.accessToken).digest('base64url')
    expect(issued.index).toEqual({ oauth_token_sha256: ath })
    expect(issued.ref).toMatchObject({ tokenSha256: ath })
    expect(JSON.stringify(issued.ref)).not.toContain(issued.credential.accessToken)
  })

  test('client_secret_post works the same', async () => {
    const issued = await h.issue('report-bot', ['read', `resource:${LEDGER}`])
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, clientId: 'report-bot', scopes: ['read'] })
  })

  test('revoke after expiry says expired without asking the server', async () => {
    const issued = await h.issue('deploy-bot', ['read', `resource:${LEDGER}`])
    await sandbox.down('refuse')
    try {
      h.clock.advance(301_000)
      expect(await h.instance.revoke(h.revokeRequest(issued), new AbortController().signal)).toEqual({ kind: 'expired' })
      expect(await h.instance.probe!(h.revokeRequest(issued), new AbortController().signal)).toBe('dead')
    } finally {
      h.clock.advance(-301_000)
      await sandbox.up()
    }
  })
})

describe('JWT access tokens the server does not track', () => {
  test('the ref and index carry the jti; revoke reports unrevocable until expiry, honestly', async () => {
    const issued = await h.issue('deploy-bot', ['read', `resource:${API}`])
    const seen = await sandbox.inspect(issued.credential.accessToken)
    expect(seen).toMatchObject({ active: true, format: 'jwt', scopes: ['read'], audience: [API] })
    const jti = seen.active ? seen.jti : undefined
    expect(issued.ref).toMatchObject({ format: 'jwt', tracked: false, jti })
    expect(issued.index).toMatchObject({ oauth_jti: jti })

    const outcome = await h.instance.revoke(h.revokeRequest(issued), new AbortController().signal)

    expect(outcome).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    expect((await sandbox.inspect(issued.credential.accessToken)).active).toBe(true)
    expect(await h.instance.probe!(h.revokeRequest(issued), new AbortController().signal)).toBe('alive')
  })
})

describe('JWT access tokens the server tracks (Okta, Keycloak): what resource servers do decides', () => {
  test('default (resourceServers: local-jwt): the server says inactive after RFC 7009, but the JWT still works: unrevocable until exp', async () => {
    const issued = await h.issue('deploy-bot', ['read', `resource:${TRACKED}`])
    expect(issued.ref).toMatchObject({ format: 'jwt', tracked: true })

    const outcome = await h.instance.revoke(h.revokeRequest(issued), new AbortController().signal)

    expect(outcome).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    // RFC 7009 was still asked: resource servers that do introspect stop accepting it.
    expect(await introspect(issued.credential.accessToken)).toEqual({ active: false })
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, format: 'jwt' })
    expect(await h.instance.probe!(h.revokeRequest(issued), new AbortController().signal)).toBe('alive')
  })

  test('resourceServers: introspect: revoked once introspection says inactive, and proven dead', async () => {
    const introspecting = harness(systemConfig(sandbox, { resourceServers: 'introspect' }))
    const issued = await introspecting.issue('deploy-bot', ['read', `resource:${TRACKED}`])
    expect(await introspecting.instance.revoke(introspecting.revokeRequest(issued), new AbortController().signal)).toEqual({ kind: 'revoked' })
    expect(await introspect(issued.credential.accessToken)).toEqual({ active: false })
    expect(await introspecting.instance.probe!(introspecting.revokeRequest(issued), new AbortController().signal)).toBe('dead')
    // A JWT the server never tracked: introspection cannot confirm anything, so still unrevocable.
    const untracked = await introspecting.issue('deploy-bot', ['read', `resource:${API}`])
    expect(await introspecting.instance.revoke(introspecting.revokeRequest(untracked), new AbortController().signal)).toMatchObject({ kind: 'unrevocable-until' })
  })

  test('resourceServers: events: revoked (the resource servers drop it on Lanyard\'s event); the probe cannot tell', async () => {
    const listening = harness(systemConfig(sandbox, { resourceServers: 'events' }))
    const issued = await listening.issue('deploy-bot', ['read', `resource:${API}`])
    expect(await listening.instance.revoke(listening.revokeRequest(issued), new AbortController().signal)).toEqual({ kind: 'revoked' })
    expect(await listening.instance.probe!(listening.revokeRequest(issued), new AbortController().signal)).toBe('unknown')
  })
})

describe('the token is checked against the request before anyone gets it', () => {
  test('scopes the server dropped: refused, and the token it minted is revoked', async () => {
    const before = sandbox.issuedTokens().length
    await expect(h.issue('deploy-bot', ['read', 'write', `resource:${NARROW}`])).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringMatching(/granted other scopes than asked \(token response: "write" missing\)/),
    })
    expect(sandbox.issuedTokens().slice(before)).toEqual([expect.objectContaining({ scopes: ['read'], revoked: true })])
  })

  test('every scope dropped from a JWT (the response then omits scope): refused', async () => {
    await expect(h.issue('deploy-bot', ['admin', `resource:${API}`])).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringMatching(/JWT scope claim: "admin" missing/),
    })
  })

  test('a lifetime beyond the broker cap: refused, and the token revoked', async () => {
    const before = sandbox.issuedTokens().length
    await expect(h.issue('deploy-bot', ['read', `resource:${LEDGER}`], { maxTtlSeconds: 60 })).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringMatching(/lives 300 s, beyond the broker's cap of 60 s/),
    })
    expect(sandbox.issuedTokens().slice(before)).toEqual([expect.objectContaining({ revoked: true })])
  })

  test('a request naming no resource is refused before anything is minted', async () => {
    const before = sandbox.issuedTokens().length
    await expect(h.issue('deploy-bot', ['read'])).rejects.toMatchObject({ code: 'ERR_SCOPE_WIDENING', message: expect.stringContaining('"resource:*"') })
    expect(sandbox.issuedTokens()).toHaveLength(before)
  })

  test('with requireResource off, a request without resource gets a token without audience', async () => {
    const open = harness(systemConfig(sandbox, { requireResource: false }))
    const issued = await open.issue('deploy-bot', ['read'])
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, audience: [], scopes: ['read'] })
  })
})

describe('errors from the server', () => {
  test('a resource the server does not serve is invalid_target', async () => {
    await expect(h.issue('deploy-bot', ['read', 'resource:https://unknown.example.test/'])).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: 'system "corp-idp" refused the request: invalid_target: the server refused the resource indicator',
    })
  })

  test('two resources for one client-credentials token: the server refuses, the message says so', async () => {
    await expect(h.issue('deploy-bot', ['read', `resource:${LEDGER}`, `resource:${OTHER}`])).rejects.toMatchObject({ code: 'ERR_UPSTREAM_REFUSED', reason: expect.stringMatching(/^invalid_target/) })
  })

  test('a target naming a client the system does not have is BindingInvalid', async () => {
    await expect(h.issue('nobody', ['read', `resource:${LEDGER}`])).rejects.toMatchObject({ code: 'ERR_BINDING_INVALID', message: expect.stringContaining('"nobody"') })
  })
})
