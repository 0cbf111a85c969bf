import { describe, expect, it } from 'vitest'
import { SecretValue, type Lanyard } from '@lanyard/core'
import { createApp, type AppDeps } from './app.js'
import { routeTable } from './route-table.js'

// Building the app wires routes only; nothing here is called.
const unused = new Proxy({}, { get: () => () => undefined }) as never
const app = createApp({
  lanyard: { settings: {} } as unknown as Lanyard, clock: unused, store: unused, systems: new Map(), adminToken: new SecretValue('x'), bodyLimitBytes: 1024,
  metrics: unused, log: unused, webhooks: unused, readiness: unused, revocationStream: unused, presence: { reportBodyLimitBytes: 1024 } as never,
  console: { sessionTtlSeconds: 60, secureCookies: true },
} satisfies AppDeps)

const read = ['admin', 'responder', 'auditor']
const ownRead = ['admin', 'responder', 'auditor', 'owner']

/**
 * The role table of /v1, written out: a route added without a role, or a role changed, fails
 * here until this table (and README "Admins and roles") says so.
 */
const expected: Array<[method: string, path: string, roles: string[]]> = [
  ['POST', '/v1/agents', ['admin', 'owner']],
  ['GET', '/v1/agents', ownRead],
  ['GET', '/v1/agents/:handle', ownRead],
  ['POST', '/v1/agents/:handle/keys', ['admin', 'owner']],
  ['POST', '/v1/agents/:handle/bindings', ['admin', 'owner']],
  ['GET', '/v1/agents/:handle/grants', ownRead],
  ['POST', '/v1/agents/:handle/suspend', ['admin', 'responder', 'owner']],
  ['POST', '/v1/agents/:handle/resume', ['admin']],
  ['POST', '/v1/agents/:parent/children', ['admin', 'owner']],
  ['GET', '/v1/agents/:parent/children', ownRead],
  ['POST', '/v1/agents/:parent/children/:child/suspend', ['admin', 'responder', 'owner']],
  ['POST', '/v1/agents/:parent/children/:child/revoke', ['admin', 'responder', 'owner']],
  ['POST', '/v1/agents/:handle/delegations', ['admin', 'owner']],
  ['GET', '/v1/agents/:handle/delegations', ownRead],
  ['POST', '/v1/agents/:handle/revoke', ['admin', 'responder', 'owner']],
  ['POST', '/v1/agents/:handle/grants/:id/revoke', ['admin', 'responder', 'owner']],
  ['POST', '/v1/agents/:handle/bindings/:system/revoke', ['admin', 'responder', 'owner']],
  ['POST', '/v1/owners/:owner/revoke', ['admin', 'responder', 'owner']],
  ['GET', '/v1/agents/:handle/audit', ownRead],
  ['DELETE', '/v1/agents/:handle/bindings/:system', ['admin', 'responder', 'owner']],
  ['DELETE', '/v1/agents/:handle/keys/:kid', ['admin', 'responder', 'owner']],
  ['GET', '/v1/revocations', read],
  ['GET', '/v1/revocations/:id', ownRead],
  ['GET', '/v1/revocations/:id/receipt', ownRead],
  ['GET', '/v1/revocations/:id/progress', ownRead],
  ['POST', '/v1/signing-keys/rotate', ['admin']],
  ['GET', '/v1/systems', ownRead],
  ['GET', '/v1/systems/health', read],
  ['GET', '/v1/signing-keys', read],
  ['GET', '/v1/whois', read],
  ['POST', '/v1/webhooks', ['admin']],
  ['GET', '/v1/webhooks', read],
  ['DELETE', '/v1/webhooks/:id', ['admin']],
  ['GET', '/v1/webhooks/:id/deliveries', read],
  ['POST', '/v1/agents/:handle/trust', ['admin', 'owner']],
  ['GET', '/v1/agents/:handle/trust', ownRead],
  ['DELETE', '/v1/agents/:handle/trust/:id', ['admin', 'responder', 'owner']],
  ['GET', '/v1/agents/:handle/presence', ownRead],
  ['PUT', '/v1/agents/:handle/presence', ['admin', 'owner']],
  ['GET', '/v1/agents/:handle/reports', ownRead],
  ['GET', '/v1/approvals', read],
  ['GET', '/v1/approvals/:id', read],
  ['POST', '/v1/approvals/:id/approve', ['admin', 'responder']],
  ['POST', '/v1/approvals/:id/deny', ['admin', 'responder']],
  ['POST', '/v1/agents/:handle/incidents', ['admin', 'responder']],
  ['POST', '/v1/agents/:handle/tier', ['admin']],
  ['GET', '/v1/audit/checkpoints', read],
  ['GET', '/v1/audit/admin', read],
  ['GET', '/v1/me', ownRead],
  ['POST', '/v1/admins', ['admin']],
  ['GET', '/v1/admins', read],
  ['DELETE', '/v1/admins/:subject', ['admin']],
  ['POST', '/v1/admins/bootstrap/retire', ['admin']],
  // The resource servers' revocation stream: their own credential, or an admin who reads.
  ['GET', '/v1/events', read],
]

describe('every /v1 route declares its roles', () => {
  const v1 = routeTable(app).map((r) => ({ ...r, method: r.method.toUpperCase() })).filter((r) => r.path.startsWith('/v1/'))

  it('no /v1 admin route lacks a declared role', () => {
    const undeclared = v1.filter((r) => r.roles === undefined)
    expect(undeclared).toEqual([])
  })

  it('the table of methods, paths and roles is exactly the expected one', () => {
    const actual = v1.filter((r) => r.roles !== undefined).map((r) => [r.method, r.path, [...r.roles!].sort()])
    expect(actual.sort()).toEqual(expected.map(([m, p, roles]) => [m, p, [...roles].sort()]).sort())
  })
})
