import { createHash } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import type { AdminPrincipal, ConsoleSession } from '../../admins/principal.js'
import { verifyAuditChain } from '../../audit/chain.js'
import type { Clock } from '../../ports/clock.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, uniqueId } from '../store-fixtures.js'
import { range, rejectsWith, type StoreKit } from './kit.js'

const hash = (value: string) => createHash('sha256').update(value).digest('hex')

export function newAdmin(clock: Clock, overrides: Partial<AdminPrincipal> = {}): AdminPrincipal {
  return { subject: `${uniqueId('admin')}@acme.test`, roles: ['responder'], tokenHash: hash(uniqueId('token')), createdAt: clock.now(), createdBy: 'admin:bootstrap', ...overrides }
}

export function newSession(clock: Clock, overrides: Partial<ConsoleSession> = {}): ConsoleSession {
  return { idHash: hash(uniqueId('session')), subject: 'alice@acme.test', roles: ['auditor'], via: 'oidc', createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 60_000), ...overrides }
}

/** Named admins, console sessions, bootstrap retirement and the admin chain: AdminStore. */
export function adminCases(kit: StoreKit): void {
  describe('admins', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })
    // The admin chain is one per store (the backend may be shared between cases): compare
    // against what it held before the case.
    const chainLength = async (on: Store) => (await on.readAdminAuditHead())?.seq ?? 0

    it('creates an admin found by subject and by token hash, refuses a second live one, replaces a revoked one', async () => {
      const admin = newAdmin(clock, { expiresAt: new Date(clock.now().getTime() + 3_600_000) })
      expect(await store.createAdmin(admin, draft(clock, 'admin.created', admin.subject))).toEqual(admin)
      expect(await store.getAdmin(admin.subject)).toEqual(admin)
      expect(await store.findAdminByTokenHash(admin.tokenHash)).toEqual(admin)
      expect(await store.findAdminByTokenHash(hash('unknown'))).toBeUndefined()
      expect((await store.listAdmins()).filter((a) => a.subject === admin.subject)).toEqual([admin])
      await rejectsWith(store.createAdmin({ ...admin, tokenHash: hash(uniqueId('t')) }, draft(clock, 'admin.created', admin.subject)), 'ERR_ADMIN_EXISTS')

      clock.advance(1000)
      const revoked = await store.revokeAdmin(admin.subject, clock.now(), draft(clock, 'admin.revoked', admin.subject))
      expect(revoked).toEqual({ ...admin, revokedAt: clock.now() })
      expect(await store.findAdminByTokenHash(admin.tokenHash)).toEqual(revoked)
      // Idempotent: the first revocation time stays.
      clock.advance(1000)
      expect(await store.revokeAdmin(admin.subject, clock.now(), draft(clock, 'admin.revoked', admin.subject))).toEqual(revoked)
      await rejectsWith(store.revokeAdmin(`${uniqueId('nobody')}@acme.test`, clock.now(), draft(clock, 'admin.revoked', 'x')), 'ERR_ADMIN_NOT_FOUND')

      const again = newAdmin(clock, { subject: admin.subject, roles: ['admin'] })
      await store.createAdmin(again, draft(clock, 'admin.created', admin.subject))
      expect(await store.getAdmin(admin.subject)).toEqual(again)
      expect(await store.findAdminByTokenHash(admin.tokenHash)).toBeUndefined()
    })

    it('every change appends to the admin chain, which verifies; concurrent changes from replicas serialise', async () => {
      const before = await chainLength(store)
      const stores = await kit.replicas(3)
      const admins = range(6).map(() => newAdmin(clock))
      await Promise.all(admins.map((a, i) => stores[i % stores.length]!.createAdmin(a, draft(clock, 'admin.created', a.subject))))
      await store.revokeAdmin(admins[0]!.subject, clock.now(), draft(clock, 'admin.revoked', admins[0]!.subject))
      await store.createSession(newSession(clock), draft(clock, 'console.signed-in', 'admin:alice@acme.test'))
      const head = await store.readAdminAuditHead()
      expect(head?.seq).toBe(before + 8)
      const events = await store.readAdminAudit()
      expect(verifyAuditChain(events, head)).toMatchObject({ ok: true, length: before + 8 })
      expect(events.slice(before).map((e) => e.action).sort()).toEqual([...range(6).map(() => 'admin.created'), 'admin.revoked', 'console.signed-in'].sort())
      expect(await store.readAdminAudit({ afterSeq: before + 6, limit: 1 })).toEqual([events[before + 6]])
      // Refused writes append nothing.
      await rejectsWith(store.createAdmin(admins[1]!, draft(clock, 'admin.created', admins[1]!.subject)), 'ERR_ADMIN_EXISTS')
      expect((await store.readAdminAuditHead())?.seq).toBe(before + 8)
    })

    it('retires the bootstrap token once, seen by every replica', async () => {
      const [a, b] = await kit.replicas(2)
      expect(await b!.bootstrapRetiredAt()).toBeUndefined()
      const before = await chainLength(a!)
      const at = clock.now()
      expect(await a!.retireBootstrap(at, draft(clock, 'bootstrap.retired', 'admin:bootstrap'))).toEqual(at)
      clock.advance(5000)
      expect(await b!.retireBootstrap(clock.now(), draft(clock, 'bootstrap.retired', 'admin:bootstrap'))).toEqual(at)
      expect(await b!.bootstrapRetiredAt()).toEqual(at)
      expect(await chainLength(a!)).toBe(before + 1)
    })

    it('finds a session by id hash until it expires, and forgets a deleted one', async () => {
      const session = newSession(clock, { roles: ['owner', 'auditor'], via: 'token' })
      await store.createSession(session, draft(clock, 'console.signed-in', 'admin:alice@acme.test'))
      expect(await store.findSession(session.idHash, clock.now())).toEqual(session)
      expect(await store.findSession(hash('other'), clock.now())).toBeUndefined()
      expect(await store.findSession(session.idHash, session.expiresAt)).toBeUndefined()
      const other = newSession(clock)
      await store.createSession(other, draft(clock, 'console.signed-in', 'admin:alice@acme.test'))
      await store.deleteSession(other.idHash)
      await store.deleteSession(other.idHash)
      expect(await store.findSession(other.idHash, clock.now())).toBeUndefined()
    })
  })
}
