import { expect } from 'vitest'
import type { Agent } from '../../agents/agent.js'
import type { LanyardErrorCode } from '../../errors.js'
import type { Grant } from '../../exchange/grant.js'
import type { RevocationStart, StatusChange, Store, TaskResult, Webhook, WebhookDelivery } from '../../ports/store/index.js'
import type { RevocationScope, RevocationTask } from '../../revocation/revocation.js'
import type { FakeClock } from '../fake-clock.js'
import type { Binding } from '../../bindings/binding.js'
import { draft, liveSettlement, newGrant, yieldTurns, type Seeds } from '../store-fixtures.js'

export interface StoreConformanceOptions {
  /** Shown in the suite name: `Store conformance: <name>`. */
  readonly name: string
  /** Opens a fresh, empty store. Called before every case; each case gets its own. */
  readonly create: () => Promise<Store>
  /**
   * Opens another Store object on the same backend as `store`: what a second broker process
   * sees. The concurrency cases spread their calls over several of these. Without it they run
   * on one object, and the fail-closed case cannot look behind the closed store.
   */
  readonly replica?: (store: Store) => Promise<Store>
  /** Takes the backend away from under `store` (kill the connection, stop the server). Defaults to `store.close()`. */
  readonly close?: (store: Store) => Promise<void>
  /** Frees what `create` made (files, key prefixes). Runs after each case, once its stores are closed. */
  readonly destroy?: (store: Store) => Promise<void>
}

/**
 * What every area's cases run on. `store` and `clock` are this case's (fresh before each case:
 * read them inside a case or a `beforeEach`, never when registering); the rest are stable.
 */
export interface StoreKit {
  readonly options: StoreConformanceOptions
  readonly store: Store
  readonly clock: FakeClock
  readonly seed: Seeds
  /** `count` Store objects on this case's backend, `store` first. */
  replicas(count: number): Promise<Store[]>
  revocationStart(scope: RevocationScope, statusChange?: StatusChange): RevocationStart
  /** An agent with `count` live grants, revoked: one job with `count` pending tasks. */
  revokeWithGrants(count: number): Promise<{ agent: Agent; grants: Grant[]; revocationId: string }>
  /** One of everything mid-flight: a live grant whose revocation task worker-a holds, a pending grant. */
  seedInFlight(): Promise<{ agent: Agent; binding: Awaited<ReturnType<Seeds['binding']>>; live: Grant; pending: Grant; job: RevocationStart }>
  taskOf(revocationId: string, grantId: string): Promise<RevocationTask | undefined>
}

export const revokeAgent: StatusChange = { status: 'revoked', reason: 'key leaked', from: ['active', 'suspended'] }
export const bump: StatusChange = { status: 'active', from: ['active'] }
export const revoked: TaskResult = { outcome: { kind: 'revoked' }, grantStatus: 'revoked' }
export const leaseMs = 30_000

/** The refusal is exactly this catalogue error (codes are one per class). */
export async function rejectsWith(promise: Promise<unknown>, code: LanyardErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code })
}

export function ids(items: readonly (Grant | RevocationTask | Webhook | WebhookDelivery)[]): string[] {
  return items.map((item) => ('grantId' in item ? item.grantId : item.id)).sort()
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

/**
 * 24 exchanges on `stores` (round robin, staggered so that some begin before the revocation
 * commits and settle after) racing `start` on `stores[1]`. Each either records its grant or is
 * refused by `beginGrant` with `refusal`; returns the ids of the grants recorded, sorted.
 */
export async function raceExchangesWithRevocation(race: { clock: FakeClock; stores: readonly Store[]; agent: Agent; binding: Binding; start: RevocationStart; action: string; refusal: LanyardErrorCode }): Promise<string[]> {
  const { clock, stores, agent, binding, start } = race
  const exchanges = range(24).map(async (i) => {
    const on = stores[i % stores.length]!
    const grant = newGrant(clock, binding)
    await yieldTurns((i * 7) % 13)
    try {
      await on.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
    } catch (error) {
      expect(error).toMatchObject({ code: race.refusal })
      return { id: grant.id, recorded: false }
    }
    await yieldTurns(i % 4)
    await on.settleGrant(agent.handle, grant.id, liveSettlement(clock, grant.id), draft(clock, 'grant.issued', grant.id))
    return { id: grant.id, recorded: true }
  })
  const revoking = yieldTurns(6).then(() => stores[1]!.startRevocation(start, draft(clock, race.action, agent.handle)))
  const [outcomes] = await Promise.all([Promise.all(exchanges), revoking])
  return outcomes.filter((o) => o.recorded).map((o) => o.id).sort()
}
