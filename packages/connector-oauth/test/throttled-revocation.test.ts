import { randomBytes } from 'node:crypto'
import { createAesGcmSealer, createCascadeWorker, grantSealContext } from '@lanyard/core'
import type { CascadeSettings, Grant, RevocationTask, Store, Systems, TaskResult } from '@lanyard/core'
import { createTestHost } from '@lanyard/connector-sdk/testing'
import { FakeClock } from '@lanyard/core/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { OAuthSandbox } from '@lanyard/sandbox'
import { oauthConnector } from '../src/index.js'
import { oauthConfig } from '../src/config.js'
import { LEDGER, sandboxOptions, startOAuthSandbox, systemConfig } from './fixture.js'

/**
 * An RFC 7009 endpoint that answers 429 `{"error":"slow_down"}` with Retry-After, during a
 * cascade: the task is retried no sooner than the server asked, and ends `failed` only when
 * the budget is spent, with the server's answer.
 */
let sandbox: OAuthSandbox
beforeAll(async () => {
  sandbox = await startOAuthSandbox(sandboxOptions())
})
afterAll(() => sandbox.close())

const settings: CascadeSettings = {
  concurrency: 4, leaseMs: 60_000, maxAttempts: 4, backoffBaseMs: 10, backoffMaxMs: 120_000,
  upstreamTimeoutMs: 5_000, pendingRecheckMs: 1_000, proveRevocation: true,
}

/** The few Store methods the cascade uses, over one task in memory. */
function oneTaskStore(grant: Grant) {
  let task: RevocationTask = {
    revocationId: 'rev-1', grantId: grant.id, handle: grant.handle, system: grant.system,
    status: 'pending', attempts: 0, nextAttemptAt: new Date(0),
  }
  const retries: Array<{ at: Date; error: string }> = []
  let result: TaskResult | undefined
  let leased = false
  const store = {
    getGrant: async () => grant,
    claimTasks: async (_owner: string, now: Date) => {
      if (leased || task.status !== 'pending' || task.nextAttemptAt > now) return []
      leased = true
      return [task]
    },
    retryTask: async (_o: string, _r: string, _g: string, at: Date, error: string) => {
      leased = false
      retries.push({ at, error })
      task = { ...task, attempts: task.attempts + 1, nextAttemptAt: at, lastError: error }
    },
    completeTask: async (_o: string, _r: string, _g: string, done: TaskResult) => {
      result = done
      task = { ...task, status: 'done', outcome: done.outcome }
      return { completed: true, revocationDone: false }
    },
  }
  return { store: store as unknown as Store, retries, result: () => result }
}

async function setUp(clock: FakeClock) {
  const host = createTestHost({ system: 'corp-idp', clock, allowInsecureUpstreamHttp: true })
  const instance = oauthConnector.create(oauthConfig.parse(systemConfig(sandbox)), host)
  const issued = await instance.issue(
    { grantId: 'g-1', agent: { handle: 'deploy-bot@agents.acme.test', owner: 'sre@acme.test', tier: 1 }, target: { clientId: 'deploy-bot' }, scopes: ['read', `resource:${LEDGER}`], maxTtlSeconds: 3600 },
    AbortSignal.timeout(5_000),
  )
  const sealer = createAesGcmSealer(randomBytes(32))
  const grant: Grant = {
    id: 'g-1', handle: 'deploy-bot@agents.acme.test', bindingId: 'b-1', system: 'corp-idp', connectorType: 'oauth', scopes: ['read'],
    status: 'live', createdAt: clock.now(), expiresAt: issued.expiresAt, ref: issued.ref, index: {},
    sealedSecret: sealer.seal(issued.revocationSecret!, grantSealContext('g-1')),
  }
  const systems: Systems = new Map([['corp-idp', { name: 'corp-idp', type: 'oauth', definition: oauthConnector as never, instance: instance as never }]])
  const memory = oneTaskStore(grant)
  const worker = createCascadeWorker({ store: memory.store, systems, sealer, clock, log: host.log, owner: 'replica-1', settings })
  return { ...memory, worker, token: issued.credential.accessToken }
}

describe('a cascade against a rate-limited RFC 7009 endpoint', () => {
  test('429 slow_down + Retry-After seconds: one call, retried after the server\'s delay, then revoked', async () => {
    const clock = new FakeClock()
    const run = await setUp(clock)
    await sandbox.throttle({ retryAfter: '30' })
    const before = sandbox.refused
    try {
      await run.worker.drain()
      // One call, not a burst: the connector does not repeat what the server refused.
      expect(sandbox.refused - before).toBe(1)
      expect(run.retries).toEqual([{ at: new Date(clock.now().getTime() + 30_000), error: 'system "corp-idp" is unavailable: HTTP 429 slow_down' }])
      clock.advance(29_999)
      await run.worker.drain()
      expect(sandbox.refused - before).toBe(1)
    } finally {
      await sandbox.up()
    }
    clock.advance(1)
    await run.worker.drain()
    expect(run.result()).toMatchObject({ outcome: { kind: 'revoked', proof: 'dead' }, grantStatus: 'revoked' })
    expect(await sandbox.inspect(run.token)).toEqual({ active: false })
  })

  test('Retry-After as an HTTP date is honoured the same way', async () => {
    const clock = new FakeClock()
    const run = await setUp(clock)
    // The sandbox's own clock is the wall clock: the date is read against the broker's (fake) one.
    await sandbox.throttle({ status: 503, retryAfter: new Date(clock.now().getTime() + 90_000).toUTCString() })
    try {
      await run.worker.drain()
    } finally {
      await sandbox.up()
    }
    expect(run.retries).toEqual([{ at: new Date(clock.now().getTime() + 90_000), error: 'system "corp-idp" is unavailable: HTTP 503' }])
  })

  test('the budget spent: failed, with the server\'s answer, and the token still live', async () => {
    const clock = new FakeClock()
    const run = await setUp(clock)
    await sandbox.throttle({ retryAfter: '5' })
    try {
      for (let i = 0; i < settings.maxAttempts; i++) {
        await run.worker.drain()
        clock.advance(10_000)
      }
    } finally {
      await sandbox.up()
    }
    expect(run.retries.map((r) => r.error)).toHaveLength(settings.maxAttempts - 1)
    expect(run.result()).toEqual({ outcome: { kind: 'failed', error: 'system "corp-idp" is unavailable: HTTP 429 slow_down' }, grantStatus: 'live' })
    expect((await sandbox.inspect(run.token)).active).toBe(true)
  })
})
