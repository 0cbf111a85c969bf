import type { ConformanceContext, TrackedGrant } from '../context.js'
import { ensure } from '../failure.js'
import { findLeak } from '../secrets.js'
import type { ConformanceCase } from './case.js'
import { ensureHonestOutcome } from './revoke.js'

function probe(ctx: ConformanceContext, grant: TrackedGrant) {
  const probeMember = ctx.instance.probe
  ensure(probeMember !== undefined, 'probe disappeared')
  return probeMember.call(ctx.instance, ctx.revokeRequest(grant), new AbortController().signal)
}

export const capabilityCases: readonly ConformanceCase[] = [
  {
    name: 'probe: alive before revoke, dead after',
    appliesUnless: (ctx) => (ctx.instance.probe === undefined ? 'the connector has no probe' : undefined),
    async run(ctx, note) {
      const grant = await ctx.issue()
      const before = await probe(ctx, grant)
      ensure(before === 'alive', `probe said "${before}" for a credential just issued; expected "alive"`)
      const outcome = await ctx.revoke(grant)
      await ensureHonestOutcome(ctx, grant, outcome, 'revoke', note)
      if (outcome.kind === 'unrevocable-until') return
      const after = await probe(ctx, grant)
      ensure(after === 'dead', `probe said "${after}" after revoke said "${outcome.kind}"; expected "dead"`)
    },
  },
  {
    name: 'health: ok, with a detail that holds no secret',
    async run(ctx) {
      const health = await ctx.instance.health(new AbortController().signal)
      ensure(health?.ok === true, `health returned ${JSON.stringify(health)}; expected { ok: true } against a working upstream`)
      const leak = findLeak(health.detail ?? '', ctx.secrets())
      ensure(leak === undefined, `health.detail holds ${leak}`)
    },
  },
]

export const logCase: ConformanceCase = {
  name: 'logs: nothing the connector logged holds a secret',
  async run(ctx) {
    const secrets = ctx.secrets()
    for (const [position, record] of ctx.host.logs.entries()) {
      const text = JSON.stringify(record, (_key, value: unknown) => (value instanceof Error ? `${value.name}: ${value.message}` : value))
      const leak = findLeak(text, secrets)
      ensure(leak === undefined, `log record #${position} (${record.level} "${record.message ?? ''}") holds ${leak}`)
    }
  },
}
