import { ensure } from '../failure.js'
import { findLeak } from '../secrets.js'
import type { ConformanceCase } from './case.js'

/** Upstream clocks (GitHub's `expires_at`) may run a little ahead of ours. */
const clockSkewMs = 60_000

export const issueCases: readonly ConformanceCase[] = [
  {
    name: 'issue: the credential works upstream for the requested scopes and not for wider ones',
    async run(ctx) {
      const grant = await ctx.issue()
      ensure(await ctx.setup.upstream.works(grant.issued.credential, grant.scopes), 'the issued credential does not work upstream for the scopes it was issued for')
      for (const item of ctx.setup.requests.wider) {
        ensure(!(await ctx.setup.upstream.works(grant.issued.credential, [item])), `the credential issued for [${grant.scopes.join(', ')}] also works upstream for the wider item "${item}": it is not down-scoped`)
      }
    },
  },
  {
    name: 'issue: token type set, expiresAt in the future and within maxTtlSeconds',
    async run(ctx) {
      const { issued } = await ctx.issue()
      const { credential } = issued
      ensure(typeof credential.accessToken === 'string' && credential.accessToken.length > 0, 'credential.accessToken must be a non-empty string')
      ensure(typeof credential.tokenType === 'string' && credential.tokenType.length > 0, 'credential.tokenType must be set (Bearer, or N_A for non-OAuth credentials)')
      ensure(typeof credential.issuedTokenType === 'string' && credential.issuedTokenType.startsWith('urn:'), 'credential.issuedTokenType must be an RFC 8693 token type URI')
      ensure(issued.expiresAt instanceof Date && !Number.isNaN(issued.expiresAt.getTime()), 'expiresAt must be a valid Date')
      const now = ctx.host.clock.now().getTime()
      ensure(issued.expiresAt.getTime() > now, `expiresAt ${issued.expiresAt.toISOString()} is not in the future`)
      ensure(issued.expiresAt.getTime() <= now + ctx.maxTtlSeconds * 1000 + clockSkewMs, `expiresAt ${issued.expiresAt.toISOString()} exceeds maxTtlSeconds (${ctx.maxTtlSeconds}); return less, never more`)
    },
  },
  {
    name: 'issue: serialised ref and index hold no part of the credential',
    async run(ctx) {
      const grant = await ctx.issue()
      const secrets = ctx.secrets()
      const refLeak = findLeak(JSON.stringify(grant.issued.ref), secrets)
      ensure(refLeak === undefined, `ref holds ${refLeak}; ref is stored in the clear and must hold ids and hashes only`)
      const index = grant.issued.index ?? {}
      const indexLeak = findLeak(JSON.stringify(index), secrets)
      ensure(indexLeak === undefined, `index holds ${indexLeak}; index must hold ids and hashes only`)
      for (const [key, value] of Object.entries(index)) {
        ensure(typeof value === 'string', `index.${key} must be a string`)
        ensure(ctx.connector.whoisKeys?.includes(key) === true, `index key "${key}" is not declared in the connector's whoisKeys`)
      }
    },
  },
  {
    name: 'issue: revocationSecret only when revoke needs it',
    async run(ctx, note) {
      const grant = await ctx.issue()
      if (grant.issued.revocationSecret === undefined) return
      ensure(typeof grant.issued.revocationSecret === 'string' && grant.issued.revocationSecret.length > 0, 'revocationSecret, when present, must be a non-empty string')
      // Without the secret the connector must not be able to revoke; otherwise it should not ask the broker to keep one.
      const outcome = await ctx.revoke(grant, { withSecret: false }).catch(() => undefined)
      if (outcome !== undefined) {
        const works = await ctx.setup.upstream.works(grant.issued.credential, [])
        ensure(works || outcome.kind !== 'revoked', 'revoke succeeded without the revocationSecret: the broker need not keep it; return none')
        ensure(!works || outcome.kind === 'unrevocable-until', `revoke without the revocationSecret said "${outcome.kind}" but the credential still works upstream`)
      }
      delete grant.outcome
      note('this connector asks the broker to keep a revocationSecret (sealed until revoke or expiry)')
    },
  },
]
