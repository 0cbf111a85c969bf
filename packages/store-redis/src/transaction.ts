import { setTimeout as delay } from 'node:timers/promises'
import { AuditUnavailable, StoreUnavailable, canonicalJson, sealAuditEvent, type AuditDraft, type AuditEvent } from '@lanyard/core'
import { encode } from './codec.js'
import type { RedisKeys } from './keys.js'
import { defineScript, type RedisClient, type ReplicaWait } from './connection.js'
import { commitLua } from './scripts/commit.js'

type Guard = [keyIndex: number, field: string, expected: string | number | false] | [keyIndex: number, field: '#binding', system: string, bindingId: string]
type Op =
  | [command: 'SET' | 'HSET' | 'HDEL' | 'RPUSH' | 'ZADD' | 'ZREM' | 'ZREMRANGEBYSCORE' | 'SADD' | 'SREM', keyIndex: number, ...args: string[]]
  | [command: 'TASKS', openKey: number, grantsKey: number, tasksKey: number, revocationsKey: number, afterMs: string, seen: string, system: string, revocationId: string, runningJson: string, before: string, between: string, after: string]
  | [command: 'AUDIT', headKey: number, auditKey: number, expectedHead: string | false, sealedJson: string, sealedHead: string, before: string, between: string, after: string]

/**
 * The chain head each agent's last audited write from this process left, as Node predicts it:
 * the next write seals against it without reading, and the commit seals again in Lua only when
 * another writer moved the head meanwhile (scripts/commit.ts). A wrong entry costs that Lua
 * hash, never a wrong chain. Bounded: past `maxAgents` the oldest entries go.
 */
export class HeadCache {
  readonly #heads = new Map<string, string>()
  readonly #maxAgents: number

  constructor(maxAgents = 10_000) {
    this.#maxAgents = maxAgents
  }

  get(handle: string): string | undefined {
    return this.#heads.get(handle)
  }

  set(handle: string, head: string): void {
    this.#heads.delete(handle)
    this.#heads.set(handle, head)
    if (this.#heads.size > this.#maxAgents) this.#heads.delete(this.#heads.keys().next().value!)
  }

  /** Records the head a commit reported, unless a later write of this process already moved the prediction on. */
  settle(handle: string, predicted: string | undefined, actual: string): void {
    if (this.#heads.get(handle) === predicted) this.set(handle, actual)
  }

  forget(handle: string): void {
    this.#heads.delete(handle)
  }
}

// Stand-ins for the two values only the commit knows, unique enough never to occur in an event.
const prevMark = '\u0001lanyard-prev\u0001'
const seqMark = '\u0001lanyard-seq\u0001'

/** The canonical JSON of the event `draft` becomes, cut at its `prevHash` and `seq` values. */
function cutCanonical(handle: string, draft: AuditDraft): [before: string, between: string, after: string] {
  const body = canonicalJson({ handle, seq: seqMark, prevHash: prevMark, ...draft, at: draft.at.toISOString() })
  const prev = JSON.stringify(prevMark).slice(1, -1)
  const seq = JSON.stringify(seqMark)
  const p = body.indexOf(prev)
  const q = body.indexOf(seq)
  // Canonical order puts `prevHash` before `seq`; each mark occurs once.
  if (p < 0 || q < p || body.indexOf(prev, p + 1) >= 0 || body.indexOf(seq, q + 1) >= 0) throw new Error('the canonical event could not be cut at prevHash and seq')
  return [body.slice(0, p), body.slice(p + prev.length, q), body.slice(q + seq.length)]
}

const runCommit = defineScript(commitLua)

/**
 * One guarded write, built in Node and applied by scripts/commit.ts. Every key must share one
 * hash tag; the builder does not check that, Redis Cluster does (CROSSSLOT) and the cluster
 * conformance run would fail.
 */
export class Transaction {
  readonly #keys: string[] = []
  readonly #guards: Guard[] = []
  readonly #ops: Op[] = []
  /** Each sealAudit's agent and the head it predicted (undefined: none known). */
  readonly #sealed: Array<{ handle: string; predicted: string | undefined }> = []

  #index(key: string): number {
    const found = this.#keys.indexOf(key)
    if (found >= 0) return found + 1
    this.#keys.push(key)
    return this.#keys.length
  }

  /** Commit only if `key` (or its hash `field`) still holds `expected` (null: absent). */
  expect(key: string, expected: string | null | undefined, field = ''): this {
    this.#guards.push([this.#index(key), field, expected ?? false])
    return this
  }

  /** Commit only if the agent record at `key` is `active` with this generation. */
  expectActive(key: string, generation: number): this {
    this.#guards.push([this.#index(key), '#active', generation])
    return this
  }

  /** Commit only if the bindings hash at `key` holds, for `system`, the binding `bindingId`, not revoked. */
  expectBinding(key: string, system: string, bindingId: string): this {
    this.#guards.push([this.#index(key), '#binding', system, bindingId])
    return this
  }

  set(key: string, value: string): this {
    this.#ops.push(['SET', this.#index(key), value])
    return this
  }

  hset(key: string, field: string, value: string): this {
    this.#ops.push(['HSET', this.#index(key), field, value])
    return this
  }

  hdel(key: string, field: string): this {
    this.#ops.push(['HDEL', this.#index(key), field])
    return this
  }

  rpush(key: string, value: string): this {
    this.#ops.push(['RPUSH', this.#index(key), value])
    return this
  }

  zadd(key: string, score: number, member: string): this {
    this.#ops.push(['ZADD', this.#index(key), String(score), member])
    return this
  }

  zrem(key: string, member: string): this {
    this.#ops.push(['ZREM', this.#index(key), member])
    return this
  }

  /** Removes the members scored `min` to `max` (Redis range syntax: `-inf`, `(123`). */
  zremrangebyscore(key: string, min: string, max: string): this {
    this.#ops.push(['ZREMRANGEBYSCORE', this.#index(key), min, max])
    return this
  }

  sadd(key: string, member: string): this {
    this.#ops.push(['SADD', this.#index(key), member])
    return this
  }

  srem(key: string, member: string): this {
    this.#ops.push(['SREM', this.#index(key), member])
    return this
  }

  /**
   * Seals `draft` onto the chain head read as `head` and appends it, guarded on that head: the
   * write commits only if no other audited write of this agent came in between.
   */
  appendAudit(keys: RedisKeys, handle: string, head: string | null | undefined, draft: AuditDraft): AuditEvent {
    let event: AuditEvent
    let record: string
    try {
      event = sealAuditEvent(handle, parseHead(head), draft)
      record = encode(event)
    } catch (cause) {
      // AuditUnavailable, as on every store: the write it belongs to is refused whole.
      throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
    }
    this.expect(keys.head(handle), head)
    this.set(keys.head(handle), `${event.seq}:${event.hash}`)
    this.rpush(keys.audit(handle), record)
    return event
  }

  /**
   * Gives a task of `revocation` to every grant of the agent that became open after the
   * caller read its open grants (those scored past `afterMs` in `openKey` and not in `seen`),
   * on `system` if given; the tasks added are `lateTasks` after the commit. `task` is
   * the task any such grant gets, but for its `grantId` and `system`; `runningJson`: the
   * revocation record to write instead, if the caller recorded it `done` (else "").
   */
  tasksForLateGrants(args: { openKey: string; grantsKey: string; tasksKey: string; revocationsKey: string; afterMs: number; seen: readonly string[]; system?: string; revocationId: string; runningJson: string; task: object }): this {
    const json = encode({ ...args.task, grantId: prevMark, system: seqMark })
    const [g, sys] = [JSON.stringify(prevMark), JSON.stringify(seqMark)]
    const p = json.indexOf(g)
    const q = json.indexOf(sys)
    if (p < 0 || q < p) throw new StoreUnavailable({ detail: 'task template could not be cut' })
    this.#ops.push(['TASKS', this.#index(args.openKey), this.#index(args.grantsKey), this.#index(args.tasksKey), this.#index(args.revocationsKey), String(args.afterMs), encode(args.seen), args.system ?? '', args.revocationId, args.runningJson, json.slice(0, p), json.slice(p + g.length, q), json.slice(q + sys.length)])
    return this
  }

  /** Tasks the commit added for grants opened after the caller's read (tasksForLateGrants), as stored. */
  lateTasks: readonly string[] = []

  /**
   * Appends the event `draft` becomes to `handle`'s chain, sealed against whatever head the
   * chain has when the commit runs: no read, no guard, so the write never loses a race to
   * another audited write of the agent. Node seals it against the head `heads` predicts;
   * the script re-seals in Lua if that head moved (scripts/commit.ts).
   */
  sealAudit(keys: RedisKeys, handle: string, draft: AuditDraft, heads: HeadCache): this {
    let cut: [string, string, string]
    try {
      cut = cutCanonical(handle, draft)
    } catch (cause) {
      // AuditUnavailable, as on every store: the write it belongs to is refused whole.
      throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
    }
    const op: Op = ['AUDIT', this.#index(keys.head(handle)), this.#index(keys.audit(handle)), false, '', '', ...cut]
    this.#ops.push(op)
    this.#toSeal.push({ op, handle, draft, heads })
    return this
  }

  /** Audits whose Node seal waits for the commit (sealPredicted). */
  readonly #toSeal: Array<{ op: Op; handle: string; draft: AuditDraft; heads: HeadCache }> = []

  /**
   * Seals each audit against the head its cache predicts, at the last moment: commit calls it
   * in the same synchronous step that sends the script, so no other write of this process can
   * be sealed and sent in between (a before-step's round trip would let one through, and both
   * would then be re-sealed in Lua).
   */
  #sealPredicted(): void {
    for (const { op, handle, draft, heads } of this.#toSeal.splice(0)) {
      const predicted = heads.get(handle)
      if (predicted === undefined) {
        this.#sealed.push({ handle, predicted: undefined })
        continue
      }
      let event: AuditEvent
      try {
        event = sealAuditEvent(handle, parseHead(predicted), draft)
      } catch (cause) {
        throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
      }
      const sealedHead = `${event.seq}:${event.hash}`
      op[3] = predicted
      op[4] = encode(event)
      op[5] = sealedHead
      heads.set(handle, sealedHead)
      this.#sealed.push({ handle, predicted: sealedHead })
    }
  }

  /**
   * True if committed; false if a guard no longer held (nothing was written). With `wait`, a
   * commit is answered only once that many replicas hold it (StoreUnavailable otherwise).
   */
  async commit(client: RedisClient, wait?: ReplicaWait, heads?: HeadCache): Promise<boolean> {
    // Not written, or not known to be: the heads this transaction predicted are forgotten.
    const forget = () => {
      for (const { handle, predicted } of this.#sealed) if (heads?.get(handle) === predicted) heads?.forget(handle)
    }
    let result: unknown
    try {
      this.#sealPredicted()
      result = await runCommit(client, this.#keys, [encode({ guards: this.#guards, ops: this.#ops })], wait)
    } catch (error) {
      forget()
      throw error
    }
    if (!Array.isArray(result)) {
      forget()
      return false
    }
    const [, moved, late] = result as [0, string[], string[]]
    this.#sealed.forEach(({ handle, predicted }, i) => heads?.settle(handle, predicted, String(moved[i])))
    this.lateTasks = late
    return true
  }
}

/** The chain head is stored as `<seq>:<hash>` beside the events. */
export function parseHead(head: string | null | undefined): Pick<AuditEvent, 'seq' | 'hash'> | undefined {
  if (head === null || head === undefined) return undefined
  const colon = head.indexOf(':')
  return { seq: Number(head.slice(0, colon)), hash: head.slice(colon + 1) }
}

/**
 * A write worked out from what was read: the guarded commit, derived index entries to write
 * before it (a superset that readers verify) and to remove after it (best effort; readers
 * repair what is left). No `write` (and not `again`): nothing to do, `result` is the answer.
 */
export interface Planned<T> {
  readonly result: T
  /** What was read is already stale (another writer got there between two reads): read again. */
  readonly again?: boolean
  readonly write?: {
    readonly txn: Transaction
    readonly before?: readonly (() => Promise<unknown>)[]
    readonly after?: readonly (() => Promise<unknown>)[]
  }
}

// Optimistic writes retry when another writer moved what they read first (for an agent: its
// chain head). 24 replicas bumping one agent at once converge in 24 rounds; 200 leaves room,
// and past it the write is reported unavailable (retryable) rather than spinning. From round 3
// on, a jittered pause of up to `round` ms (20 ms at most) spreads the contenders out.
const maxRounds = 200

/** Read, decide, commit guarded on what was read; on conflict read and decide again. */
export async function mutate<T>(client: RedisClient, plan: () => Promise<Planned<T>>, wait?: ReplicaWait, heads?: HeadCache): Promise<T> {
  for (let round = 1; ; round++) {
    const { result, write, again } = await plan()
    if (!again) {
      if (write === undefined) return result
      await Promise.all((write.before ?? []).map((step) => step()))
      if (await write.txn.commit(client, wait, heads)) {
        await Promise.allSettled((write.after ?? []).map((step) => step()))
        return result
      }
    }
    if (round >= maxRounds) throw new StoreUnavailable({ detail: `write abandoned after ${maxRounds} conflicting rounds` })
    if (round > 2) await delay(Math.random() * Math.min(round, 20))
  }
}
