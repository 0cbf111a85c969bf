import { validateStandard } from '@lanyard/core'
import type { LanyardErrorCode } from '@lanyard/core'
import type { ConformanceContext } from '../context.js'
import { ConformanceFailure, describeThrown, ensure, isCatalogueError, thrownBy } from '../failure.js'
import { findLeak } from '../secrets.js'
import type { ConformanceCase } from './case.js'

/** A refusal must be a catalogue class of an expected code, with nothing secret in what is sent or logged. */
function ensureSafeRefusal(ctx: ConformanceContext, error: unknown, codes: readonly LanyardErrorCode[], what: string): void {
  ensure(isCatalogueError(error), `${what} threw ${describeThrown(error)}; throw a catalogue class (${codes.join(', ')})`)
  ensure(codes.includes(error.code), `${what} threw ${error.code}; expected one of ${codes.join(', ')}`)
  const leak = findLeak(`${error.message}\n${error.detail ?? ''}`, ctx.secrets())
  ensure(leak === undefined, `${what}: the error message or detail holds ${leak}`)
}

const refusedTargetCodes: readonly LanyardErrorCode[] = ['ERR_BINDING_INVALID', 'ERR_UPSTREAM_REFUSED']
const refusedConfigCodes: readonly LanyardErrorCode[] = ['ERR_UPSTREAM_REFUSED', 'ERR_CONFIG_INVALID']

export const errorCases: readonly ConformanceCase[] = [
  {
    name: 'errors: a bogus target is refused with a catalogue error holding no secret',
    async run(ctx) {
      const result = await validateStandard(ctx.connector.target, ctx.setup.bogus.target)
      ensure(!('issues' in result), `setup.bogus.target must pass the target schema (it should fail upstream): ${'issues' in result ? result.issues.join('; ') : ''}`)
      const bogus = result.value
      const bindError = await thrownBy(() => ctx.instance.validateBinding(bogus, ctx.setup.ceiling, new AbortController().signal), 'validateBinding with the bogus target')
      ensureSafeRefusal(ctx, bindError, refusedTargetCodes, 'validateBinding with the bogus target')
      const issueError = await thrownBy(() => ctx.issue({ target: bogus }), 'issue with the bogus target')
      ensureSafeRefusal(ctx, issueError, refusedTargetCodes, 'issue with the bogus target')
    },
  },
  {
    name: 'errors: a config the upstream refuses gives a catalogue error holding no secret',
    appliesUnless: (ctx) => (ctx.setup.bogus.config === undefined ? 'setup gives no bogus.config (the connector holds no credential of its own)' : undefined),
    async run(ctx) {
      const result = await validateStandard(ctx.connector.config, ctx.setup.bogus.config)
      ensure(!('issues' in result), `setup.bogus.config must pass the config schema (it should fail upstream): ${'issues' in result ? result.issues.join('; ') : ''}`)
      let error: unknown
      try {
        const instance = ctx.connector.create(result.value, ctx.host)
        error = await thrownBy(() => ctx.issue({ instance }), 'issue under the bogus config')
        await instance.close?.()
      } catch (thrown) {
        if (thrown instanceof ConformanceFailure) throw thrown
        error = thrown
      }
      ensureSafeRefusal(ctx, error, refusedConfigCodes, 'issue under the bogus config')
    },
  },
]

/** An operation given an already-aborted signal must reject, and soon. */
const abortDeadlineMs = 2_000

async function ensureAborts(what: string, action: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController()
  controller.abort()
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), abortDeadlineMs)
  })
  const settled = action(controller.signal).then(
    () => 'resolved' as const,
    (error: unknown) => error,
  )
  const result = await Promise.race([settled, deadline]).finally(() => clearTimeout(timer))
  ensure(result !== 'late', `${what} with an aborted signal was still running after ${abortDeadlineMs} ms`)
  ensure(result !== 'resolved', `${what} ignored an already-aborted signal and completed`)
  const isAbort = result === controller.signal.reason || (result instanceof Error && result.name === 'AbortError') || isCatalogueError(result)
  ensure(isAbort, `${what} with an aborted signal threw ${describeThrown(result)}; rethrow signal.reason (signal.throwIfAborted()) or a catalogue error`)
}

export const abortCases: readonly ConformanceCase[] = [
  {
    name: 'abort: an already-aborted signal stops issue, validateBinding and revoke',
    async run(ctx) {
      const sentBefore = ctx.host.requests.length
      await ensureAborts('issue', (signal) => ctx.issue({ signal }))
      const sent = ctx.host.requests.slice(sentBefore).filter((request) => !request.aborted)
      ensure(sent.length === 0, `issue with an aborted signal still sent ${sent.map((r) => `${r.method} ${new URL(r.url).pathname}`).join(', ')} upstream without that signal`)
      await ensureAborts('validateBinding', (signal) => ctx.instance.validateBinding(ctx.target, ctx.setup.ceiling, signal))
      const grant = await ctx.issue()
      await ensureAborts('revoke', (signal) => ctx.instance.revoke(ctx.revokeRequest(grant), signal))
    },
  },
]
