import { AgentNotFound, BindingConflict, isLanyardError, bindingCutStart, bindingPutAudit, planBindingPut, type Binding, type BindingPut, type BindingStore } from '@lanyard/core'
import { decodeAgent, decodeAll, decodeBinding, encode } from './codec.js'
import { call, defineScript } from './connection.js'
import type { RedisDatabase } from './database.js'
import { addJob, readGrants } from './revocations.js'
import { Transaction } from './transaction.js'

/**
 * How long a fresh claim on an exclusive target is honoured before its agent's binding shows it.
 * A claim is written just before the binding's commit (milliseconds later, a few seconds at
 * worst under contention); one whose binding never came (a crash, a refused put whose release
 * failed) is taken over after this.
 */
const claimGraceMs = 60_000

// KEYS[1] the claim. Take over: ARGV[1] the value read, ARGV[2] the new one. Release: ARGV[1]
// the holder's `<handle> ` prefix. One key each, atomic on its own (keys.ts (3)).
const takeOver = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
`)
const release = defineScript(`
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, #ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

/**
 * One agent per exclusive target (the OAuth client of a system), across agents, so across
 * slots: the claim key `exclusive` is the rule, set if absent before the binding's commit. A
 * claim held by another agent whose active binding to that system has this key, or claimed in
 * the last `claimGraceMs` (its bind is in flight), refuses with BindingConflict; any other is
 * stale (its binding moved on, its release was lost) and is taken over, atomically. Returns
 * whether this call made the claim (to be released if the put fails).
 */
async function claimExclusive(db: RedisDatabase, binding: Binding, key: string, now: number): Promise<boolean> {
  const { client, keys } = db
  const claim = keys.exclusive(binding.system, key)
  const mine = `${binding.handle} ${now}`
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await call(() => client.set(claim, mine, 'NX'))) === 'OK') return true
    const held = await call(() => client.get(claim))
    if (held === null) continue
    const [holder = '', at = '0'] = held.split(' ')
    if (holder === binding.handle) return false
    const theirs = decodeBinding(await call(() => client.hget(keys.bindings(holder), binding.system)))
    if ((theirs?.status === 'active' && theirs.exclusiveKey === key) || now - Number(at) < claimGraceMs) throw new BindingConflict(binding.system)
    if ((await takeOver(client, [claim], [held, mine])) === 1) return true
  }
  throw new BindingConflict(binding.system)
}

/** Releases `handle`'s claim on an exclusive target, if it still holds it. Best effort: a lost release is taken over once stale. */
export function releaseExclusive(db: RedisDatabase, system: string, key: string, handle: string): () => Promise<unknown> {
  return () => release(db.client, [db.keys.exclusive(system, key)], [`${handle} `])
}

/** Bindings: one hash per agent (`bindings`), field = system; `exclusive` claims across agents. */
export function createBindingMethods(db: RedisDatabase): BindingStore {
  const { client, keys, snapshot, mutate } = db
  return {
    async putBinding(binding, audit, policy = {}) {
      const { handle, system } = binding
      const now = audit.at.getTime()
      const claimed = binding.exclusiveKey === undefined ? false : await claimExclusive(db, binding, binding.exclusiveKey, now)
      try {
        return await mutate(async () => {
          const [head, record, current, complete, openIds] = (await snapshot([
            ['get', keys.head(handle)],
            ['get', keys.agent(handle)],
            ['hget', keys.bindings(handle), system],
            ['get', keys.openGrantsComplete(handle)],
            ['zrangebyscore', keys.openGrants(handle), `(${now}`, '+inf'],
          ])) as [string | null, string | null, string | null, string | null, string[]]
          const agent = decodeAgent(record)
          if (agent === undefined) throw new AgentNotFound(handle)
          const previous = decodeBinding(current)
          // Read after the snapshot; the commit is guarded on the head, which every grant write
          // moves (a grant begun under the old binding after this read must be planned for too).
          const open = await readGrants(db, handle, complete === null ? undefined : openIds)
          const plan = planBindingPut(agent, previous, binding, open, audit.at, policy.covers)
          const txn = new Transaction().hset(keys.bindings(handle), system, encode({ ...binding, status: 'active' }))
          const job =
            plan.cut.length === 0
              ? undefined
              : addJob(db, txn, bindingCutStart(binding, audit, policy.reason), plan.cut)
          txn.appendAudit(keys, handle, head, bindingPutAudit(audit, plan, binding.id))
          const moved = previous?.exclusiveKey !== undefined && previous.exclusiveKey !== binding.exclusiveKey ? [releaseExclusive(db, system, previous.exclusiveKey, handle)] : []
          const result: BindingPut = { action: plan.action, ...(job === undefined ? {} : { revocation: job.revocation }) }
          return { result, write: { txn, before: job?.before ?? [], after: moved } }
        })
      } catch (error) {
        // A definite refusal only: after StoreUnavailable the commit may have landed, and the
        // claim must stay (a stale one is taken over after the grace).
        if (claimed && binding.exclusiveKey !== undefined && isLanyardError(error) && error.code !== 'ERR_STORE_UNAVAILABLE') await releaseExclusive(db, system, binding.exclusiveKey, handle)().catch(() => undefined)
        throw error
      }
    },

    async getBinding(handle, system) {
      return decodeBinding(await call(() => client.hget(keys.bindings(handle), system)))
    },

    async listBindings(handle) {
      return decodeAll(await call(() => client.hvals(keys.bindings(handle))), decodeBinding, (b) => b.system)
    },
  }
}
