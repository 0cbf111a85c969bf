import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createAgentClient, type AgentClient } from '@lanyard/client'
import { FakeClock } from '@lanyard/core/testing'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/**
 * Earned trust (#15) on a broker whose clock is fake: an agent climbs the ladder on its record
 * (days, grants, approved exchanges), falls on an incident, and what each tier gets (credential
 * lifetime, exchange rate) follows. `lanyard agents show` explains it at each step.
 */
const adminToken = `trust-${randomBytes(8).toString('hex')}`
const clock = new FakeClock(new Date('2026-01-05T09:00:00Z'))
const handle = 'climber@agents.acme.dev'
const day = 86_400_000
let broker: CliBroker
let sdk: AgentClient

interface GrantJson { id: string; scopes: string[]; created_at: string; expires_at: string }
interface Trust { tier: number; reason: string; next_promotion: { to: number; missing: string[] } | null; incidents: { total: number }; caps: { max_ttl_seconds: number | null } }

beforeAll(async () => {
  broker = await startCliBroker({
    adminToken,
    clock,
    config: {
      logLevel: 'silent',
      systems: [{ name: 'mem', type: 'memory', upstream: `trust-${randomBytes(4).toString('hex')}` }],
      trust: {
        promote: [
          { to: 1, after: { days: 3, grants: 3, incidents: 0 } },
          { to: 2, after: { days: 14, grants: 4, incidents: 0, approvalsGranted: 1 } },
        ],
        tiers: {
          '0': { maxTtlSeconds: 120, exchangeRate: { ratePerSecond: 0.001, burst: 4 } },
          '1': { maxTtlSeconds: 600, exchangeRate: { ratePerSecond: 1, burst: 30 } },
          '2': { maxTtlSeconds: 900 },
        },
      },
    },
  })
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  await broker.admin('POST', '/v1/agents', { handle, owner: 'owner@acme.dev', tier: 0 })
  await broker.admin('POST', `/v1/agents/${handle}/keys`, { jwk: await exportJWK(publicKey) })
  await broker.admin('POST', `/v1/agents/${handle}/bindings`, { system: 'mem', target: { account: 'default' }, ceiling: ['read', 'write'], approval: { scopes: ['write'], approvers: ['owner'], ttl_seconds: 3600 } })
  sdk = createAgentClient({ brokerUrl: broker.broker.url, handle, privateKey: { ...(await exportJWK(privateKey)), alg: 'EdDSA' }, clock, refreshSkewSeconds: 0, dpop: false }) // raw exchanges below carry no proof
})
afterAll(() => broker.close())

const trust = async () => (await broker.admin<{ tier: number; trust: Trust }>('GET', `/v1/agents/${handle}`)).trust
/** Lifetime of the newest grant, as recorded: what the tier cap let the connector give. */
async function lastTtlSeconds(): Promise<number> {
  const { grants } = await broker.admin<{ grants: GrantJson[] }>('GET', `/v1/agents/${handle}/grants`)
  const grant = grants.at(-1)!
  return (Date.parse(grant.expires_at) - Date.parse(grant.created_at)) / 1000
}
async function freshExchange(): Promise<'granted' | 'rate-limited'> {
  const response = await fetch(`${broker.broker.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: await sdk.token(), subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', resource: 'urn:lanyard:system:mem', scope: 'read' }).toString(),
  })
  if (response.status === 429) return 'rate-limited'
  expect(response.status).toBe(200)
  return 'granted'
}

it('climbs the ladder on its record with a fake clock, falls on an incident, and its TTL and rate caps follow', { timeout: 60_000 }, async () => {
  // Tier 0: short credentials, a slow rate (burst 4, then refused).
  expect(await trust()).toMatchObject({ tier: 0, caps: { max_ttl_seconds: 120 }, next_promotion: { to: 1 } })
  for (let i = 0; i < 3; i++) expect(await freshExchange()).toBe('granted')
  expect(await lastTtlSeconds()).toBe(120)
  expect(await freshExchange()).toBe('granted')
  expect(await freshExchange()).toBe('rate-limited')
  let now = await trust()
  expect(now.tier).toBe(0)
  expect(now.next_promotion!.missing).toEqual([expect.stringMatching(/more hours at tier 0 \(3 days\)/)])

  // Three days on, the next grant promotes: tier 1 gets longer credentials and a faster rate.
  clock.advance(3 * day)
  expect(await freshExchange()).toBe('granted')
  now = await trust()
  expect(now).toMatchObject({ tier: 1, caps: { max_ttl_seconds: 600 }, reason: expect.stringMatching(/^promoted/) })
  for (let i = 0; i < 4; i++) expect(await freshExchange()).toBe('granted')
  expect(await lastTtlSeconds()).toBe(600)

  // Tier 2 needs an approved exchange as well as time: a person approves one.
  clock.advance(14 * day)
  const refused = await sdk.exchange({ system: 'mem', scope: 'write' }).catch((e: { approvalId?: string }) => e)
  const approvalId = (refused as { approvalId: string }).approvalId
  expect(approvalId).toBeTypeOf('string')
  expect((await trust()).next_promotion!.missing).toEqual([expect.stringMatching(/1 more approved exchanges/)])
  await broker.admin('POST', `/v1/approvals/${approvalId}/approve`, { approver: 'owner@acme.dev' })
  await sdk.waitForApproval(approvalId, { system: 'mem', scope: 'write' })
  now = await trust()
  expect(now).toMatchObject({ tier: 2, caps: { max_ttl_seconds: 900 }, next_promotion: null })
  expect(await freshExchange()).toBe('granted')
  expect(await lastTtlSeconds()).toBe(900)

  // An incident (a receiver reports misuse) drops one tier, with the rule on record.
  const reported = await runCli(['agents', 'show', handle], { env: broker.env, cwd: broker.dir })
  expect(reported.stdout).toMatch(/tier:\s+2 since/)
  await broker.admin('POST', `/v1/agents/${handle}/incidents`, { reason: 'receiver saw tokens replayed from a second IP' })
  now = await trust()
  expect(now).toMatchObject({ tier: 1, caps: { max_ttl_seconds: 600 }, incidents: { total: 1 }, reason: 'demoted on incident reported: receiver saw tokens replayed from a second IP' })
  expect(await freshExchange()).toBe('granted')
  expect(await lastTtlSeconds()).toBe(600)

  const shown = await runCli(['agents', 'show', handle], { env: broker.env, cwd: broker.dir })
  expect(shown.code).toBe(0)
  expect(shown.stdout).toMatch(/tier:\s+1 since/)
  expect(shown.stdout).toMatch(/why:\s+demoted on incident reported/)
  expect(shown.stdout).toMatch(/next:\s+tier 2 needs/)
  expect(shown.stdout).toMatch(/incidents:\s+1, last .* reported/)

  // Every tier change is an audit event naming its rule.
  const { events } = await broker.admin<{ events: Array<{ action: string; details: Record<string, unknown> }> }>('GET', `/v1/agents/${handle}/audit`)
  expect(events.filter((e) => e.action === 'agent.tier-changed').map((e) => [e.details.from, e.details.to, e.details.rule])).toEqual([
    [0, 1, 'promotion'],
    [1, 2, 'promotion'],
    [2, 1, 'reported'],
  ])
})
