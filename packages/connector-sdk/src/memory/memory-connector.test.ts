import { describe, expect, it } from 'vitest'
import type { Clock } from '@lanyard/core'
import { createTestHost } from '../testing/host.js'
import { memoryConnector } from './memory-connector.js'
import { createMemoryUpstream } from './memory-upstream.js'

function manualClock(): Clock & { advance(ms: number): void } {
  let ms = Date.parse('2030-01-01T00:00:00Z')
  return { now: () => new Date(ms), advance: (by) => void (ms += by) }
}

let counter = 0

async function system(config: Record<string, unknown> = {}) {
  const clock = manualClock()
  const name = `unit-${++counter}`
  const upstream = createMemoryUpstream({ name, clock, accounts: ['acme'] })
  const parsed = await memoryConnector.config['~standard'].validate({ upstream: name, ...config })
  if (parsed.issues) throw new Error(parsed.issues.map((i) => i.message).join())
  const instance = memoryConnector.create(parsed.value, createTestHost({ clock, system: 'mem' }))
  const signal = new AbortController().signal
  const issue = (scopes: readonly string[] = ['read'], maxTtlSeconds = 3600) =>
    instance.issue({ grantId: 'g1', agent: { handle: 'bot@agents.test', owner: 'o@test', tier: 1 }, target: { account: 'acme' }, scopes, maxTtlSeconds }, signal)
  return { clock, upstream, instance, signal, issue }
}

describe('memory upstream', () => {
  it('accepts only tokens it issued, for the scopes they carry', async () => {
    const { upstream, issue } = await system()
    const { credential } = await issue(['write', 'items:reports'])
    expect(upstream.allows(credential.accessToken, ['read', 'items:reports'])).toBe(true)
    expect(upstream.allows(credential.accessToken, ['admin'])).toBe(false)
    expect(upstream.allows(credential.accessToken, ['items:payroll'])).toBe(false)
    expect(upstream.allows(`${credential.accessToken}x`, [])).toBe(false)
    expect(upstream.introspect('mem_forged')).toEqual({ active: false, reason: 'unknown' })
  })

  it('refuses a token once its clock passes the expiry', async () => {
    const { upstream, clock, issue } = await system({ ttlSeconds: 60 })
    const { credential, expiresAt } = await issue()
    expect(expiresAt.toISOString()).toBe('2030-01-01T00:01:00.000Z')
    clock.advance(59_999)
    expect(upstream.allows(credential.accessToken, [])).toBe(true)
    clock.advance(1)
    expect(upstream.introspect(credential.accessToken)).toEqual({ active: false, reason: 'expired' })
  })
})

describe('memory connector', () => {
  it('caps the lifetime at the broker maxTtlSeconds', async () => {
    const { issue } = await system({ ttlSeconds: 900 })
    expect((await issue(['read'], 120)).expiresAt.toISOString()).toBe('2030-01-01T00:02:00.000Z')
  })

  it('revokes by ref: the token stops working, and a second revoke still says revoked', async () => {
    const { upstream, instance, signal, issue } = await system()
    const issued = await issue()
    const request = { grantId: 'g1', handle: 'bot@agents.test', ref: issued.ref, issuedAt: new Date(), expiresAt: issued.expiresAt }
    expect(issued.revocationSecret).toBeUndefined()
    expect(await instance.revoke(request, signal)).toEqual({ kind: 'revoked' })
    expect(upstream.allows(issued.credential.accessToken, [])).toBe(false)
    expect(await instance.revoke(request, signal)).toEqual({ kind: 'revoked' })
    expect(upstream.liveCount()).toBe(0)
  })

  it('in secret mode needs the revocationSecret, and says unrevocable-until the expiry without it', async () => {
    const { upstream, instance, signal, issue } = await system({ revokeWith: 'secret' })
    const issued = await issue()
    expect(issued.ref).toEqual({ account: 'acme' })
    const request = { grantId: 'g1', handle: 'bot@agents.test', ref: issued.ref, issuedAt: new Date(), expiresAt: issued.expiresAt }
    expect(await instance.revoke(request, signal)).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    expect(upstream.allows(issued.credential.accessToken, [])).toBe(true)
    expect(await instance.revoke({ ...request, secret: issued.revocationSecret ?? '' }, signal)).toEqual({ kind: 'revoked' })
    expect(upstream.allows(issued.credential.accessToken, [])).toBe(false)
  })

  it('reports an unavailable upstream as UpstreamUnavailable (retryable) and unhealthy', async () => {
    const { upstream, instance, signal, issue } = await system()
    const issued = await issue()
    upstream.available = false
    await expect(issue()).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', message: 'system "mem" is unavailable' })
    await expect(instance.revoke({ grantId: 'g1', handle: 'bot@agents.test', ref: issued.ref, issuedAt: new Date(), expiresAt: issued.expiresAt }, signal)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(await instance.health(signal)).toEqual({ ok: false, detail: `upstream "${upstream.name}" is unavailable` })
  })

  it('honours an abort during simulated latency, minting nothing', async () => {
    const { instance, upstream } = await system({ latencyMs: 10_000 })
    const controller = new AbortController()
    const pending = instance.issue({ grantId: 'g', agent: { handle: 'b@a.test', owner: 'o@t', tier: 0 }, target: { account: 'acme' }, scopes: [], maxTtlSeconds: 60 }, controller.signal)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(upstream.liveCount()).toBe(0)
  })

  it('reaches a registered upstream by name, so a broker built from YAML shares it with the test', async () => {
    const clock = manualClock()
    const upstream = createMemoryUpstream({ name: 'shared-by-name', clock, accounts: ['acme'] })
    const first = memoryConnector.create({ upstream: 'shared-by-name', ttlSeconds: 60, latencyMs: 0, revokeWith: 'ref' }, createTestHost({ clock }))
    const issued = await first.issue({ grantId: 'g', agent: { handle: 'b@a.test', owner: 'o@t', tier: 0 }, target: { account: 'acme' }, scopes: ['read'], maxTtlSeconds: 60 }, new AbortController().signal)
    expect(upstream.allows(issued.credential.accessToken, ['read'])).toBe(true)
  })
})
