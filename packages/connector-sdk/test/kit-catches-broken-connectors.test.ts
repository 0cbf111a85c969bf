import { describe, expect, it } from 'vitest'
import { memoryConnector, secret, SecretValue, UpstreamRefused } from '@lanyard/connector-sdk'
import type { ConnectorDefinition, ConnectorHost, ConnectorInstance } from '@lanyard/connector-sdk'
import { runConformance } from '@lanyard/connector-sdk/testing'
import type { ConformanceReport, ConformanceSetup } from '@lanyard/connector-sdk/testing'
import { z } from 'zod'
import { memorySetup } from './memory-setup.js'

type Instance = ConnectorInstance<{ account: string }>
type Definition = ConnectorDefinition<unknown, { account: string }>

/** The memory connector with some members replaced: one deliberate breach of the contract each. */
function broken(replace: (base: Instance, host: ConnectorHost) => Partial<Instance>, definition: Partial<Definition> = {}): Definition {
  const base = memoryConnector as unknown as Definition
  return {
    ...base,
    ...definition,
    create(config, host) {
      const instance = base.create(config, host)
      return { ...instance, ...replace(instance, host) }
    },
  }
}

async function run(connector: Definition, setup: () => Promise<ConformanceSetup> = () => memorySetup('ref')): Promise<ConformanceReport> {
  return runConformance({ connector, setup }, false)
}

function failures(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.cases.filter((c) => c.status === 'failed').map((c) => [c.name, c.message ?? '']))
}

/** A memory connector holding an API key of its own; `refusal` writes its error message. */
function keyedConnector(refusal: (key: string) => string): Definition {
  return {
    ...(memoryConnector as unknown as Definition),
    config: z.object({ upstream: z.string(), apiKey: secret() }).strict(),
    create(config, host) {
      const { upstream, apiKey } = config as { upstream: string; apiKey: SecretValue }
      const instance = memoryConnector.create({ upstream, ttlSeconds: 600, latencyMs: 0, revokeWith: 'ref' }, host)
      const refuse = () => Promise.reject(new UpstreamRefused(host.system, refusal(apiKey.reveal())))
      return { ...instance, issue: (request, signal) => (apiKey.reveal() === 'right-key-0123456789' ? instance.issue(request, signal) : refuse()) }
    },
  }
}

async function keyedSetup(): Promise<ConformanceSetup> {
  const setup = await memorySetup('ref')
  const { upstream } = setup.config as { upstream: string }
  return { ...setup, config: { upstream, apiKey: new SecretValue('right-key-0123456789') }, bogus: { ...setup.bogus, config: { upstream, apiKey: new SecretValue('wrong-key-9876543210') } } }
}

describe('the kit passes the memory connector', () => {
  it('passes every case in both revoke modes, leaving nothing live', async () => {
    for (const mode of ['ref', 'secret'] as const) {
      const report = await run(memoryConnector as unknown as Definition, () => memorySetup(mode))
      expect(failures(report)).toEqual({})
      expect(report.passed).toBe(true)
      expect(report.leftovers).toEqual([])
    }
  })
})

describe('the kit catches a broken connector', () => {
  it('a revoke that says "revoked" without revoking fails revoke, probe and abort', async () => {
    const report = await run(broken(() => ({ revoke: async () => ({ kind: 'revoked' }) })))
    expect(Object.keys(failures(report)).sort()).toEqual([
      'abort: an already-aborted signal stops issue, validateBinding and revoke',
      'probe: alive before revoke, dead after',
      'revoke: afterwards the credential stops working upstream',
      'revoke: one grant only (another credential keeps working)',
      'revoke: twice succeeds (idempotent)',
    ])
    expect(failures(report)['revoke: afterwards the credential stops working upstream']).toMatch(/said "revoked" but the credential still works upstream/)
  })

  it('without upstream time travel, the lying revoke leaves leftovers that cleanup lists by grant id', async () => {
    const report = await run(broken(() => ({ revoke: async () => ({ kind: 'revoked' }) })), async () => {
      const { upstream, ...setup } = await memorySetup('ref')
      return { ...setup, upstream: { works: upstream.works } }
    })
    expect(report.cases.find((c) => c.name === 'revoke: after expiry succeeds (expired or revoked)')?.status).toBe('skipped')
    expect(failures(report)['cleanup: every credential this run issued is revoked']).toMatch(/may still be live:\n {2}- conformance-\d+-\d+: revoke said "revoked" but the credential still works upstream/)
    expect(report.leftovers.length).toBeGreaterThanOrEqual(5)
  })

  it('a revoke that takes every credential down with it fails "one grant only"', async () => {
    const report = await run(
      broken((base) => {
        const refs: Array<Parameters<Instance['revoke']>[0]['ref']> = []
        return {
          issue: async (request, signal) => {
            const issued = await base.issue(request, signal)
            refs.push(issued.ref)
            return issued
          },
          revoke: async (request, signal) => {
            for (const ref of refs) await base.revoke({ ...request, ref }, signal)
            return { kind: 'revoked' }
          },
        }
      }),
    )
    expect(Object.keys(failures(report))).toEqual(['revoke: one grant only (another credential keeps working)'])
    expect(failures(report)['revoke: one grant only (another credential keeps working)']).toMatch(/also killed another credential/)
  })

  it('a revoke that throws leaves leftovers the cleanup lists by grant id', async () => {
    const report = await run(broken(() => ({ revoke: async () => Promise.reject(new UpstreamRefused('memory-test', 'nope')) })))
    expect(failures(report)['cleanup: every credential this run issued is revoked']).toMatch(/credential\(s\) issued by this run may still be live:\n {2}- conformance-\d+-\d+: UpstreamRefused \(ERR_UPSTREAM_REFUSED\) while revoking/)
    expect(failures(report)['revoke: twice succeeds (idempotent)']).toMatch(/the first revoke threw UpstreamRefused/)
  })

  it('an "unrevocable-until" in the past is refused: it must say expired', async () => {
    const report = await run(broken(() => ({ revoke: async () => ({ kind: 'unrevocable-until', until: new Date(0) }) })))
    expect(failures(report)['revoke: afterwards the credential stops working upstream']).toMatch(/in the past/)
  })

  it('an honest "unrevocable-until" passes revoke and is reported as a note', async () => {
    const report = await run(broken(() => ({ revoke: async (request) => ({ kind: 'unrevocable-until', until: request.expiresAt }), probe: undefined })))
    const revokeCase = report.cases.find((c) => c.name === 'revoke: afterwards the credential stops working upstream')
    expect(revokeCase?.status).toBe('passed')
    expect(revokeCase?.notes.join()).toMatch(/unrevocable until 2030-/)
    expect(report.unrevocable.length).toBeGreaterThan(0)
    // ...but after expiry it must not claim unrevocable any more.
    expect(failures(report)['revoke: after expiry succeeds (expired or revoked)']).toMatch(/said "unrevocable-until"/)
  })

  it('a narrow that returns the request unchecked fails widening and unknown-scope cases', async () => {
    const report = await run(broken(() => ({ narrow: (_ceiling, requested) => [...requested] })))
    expect(failures(report)['narrow: never widens (ceilings x wider requests => ScopeWidening naming the item)']).toMatch(/succeeded; it must throw/)
    expect(failures(report)['narrow: unknown items are ScopeUnknown naming the item, whatever the ceiling']).toMatch(/succeeded; it must throw/)
  })

  it('a narrow that calls unknown items "widening" fails with the expected code', async () => {
    const report = await run(broken((base) => ({ narrow: (ceiling, requested) => (requested.includes('delete') ? ((): never => { throw new UpstreamRefused('x', 'delete') })() : base.narrow(ceiling, requested)) })))
    expect(failures(report)['narrow: unknown items are ScopeUnknown naming the item, whatever the ceiling']).toMatch(/threw ERR_UPSTREAM_REFUSED; expected ERR_SCOPE_UNKNOWN/)
  })

  it('a narrow that adds ceiling items the request did not ask for is still within; one that invents items is not', async () => {
    const report = await run(broken((base) => ({ narrow: (ceiling, requested) => (requested.length === 0 ? [] : [...base.narrow(ceiling, requested), 'items:extra']) })))
    expect(failures(report)['narrow: requests inside the ceiling stay inside it']).toMatch(/items neither requested nor in the ceiling: \["items:extra"\]/)
  })

  it('an sdk range this SDK does not satisfy fails the load checks, as the broker would', async () => {
    const report = await run(broken(() => ({}), { sdk: '^9.0.0' }))
    expect(failures(report)).toEqual({ 'definition: passes the checks the broker makes at load': expect.stringMatching(/sdk "\^9\.0\.0" is not satisfied by this @lanyard\/connector-sdk \(0\.1\.0\)/) })
  })

  it('a config schema that is not closed fails the config case', async () => {
    const open = z.object({ upstream: z.string(), ttlSeconds: z.number().default(900), latencyMs: z.number().default(0), revokeWith: z.enum(['ref', 'secret']).default('ref') })
    const report = await run(broken(() => ({}), { config: open }))
    expect(failures(report)['config: unknown fields are refused (the schema is closed)']).toMatch(/accepted an unknown field/)
  })

  it('a credential not narrowed upstream fails "not for wider ones"', async () => {
    const report = await run(broken((base) => ({ issue: (request, signal) => base.issue({ ...request, scopes: ['admin', 'items:*'] }, signal) })))
    expect(failures(report)['issue: the credential works upstream for the requested scopes and not for wider ones']).toMatch(/also works upstream for the wider item "admin": it is not down-scoped/)
  })

  it('a lifetime over maxTtlSeconds fails', async () => {
    const report = await run(broken((base) => ({ issue: (request, signal) => base.issue({ ...request, maxTtlSeconds: 86_400 }, signal) })), async () => {
      const setup = await memorySetup('ref')
      return { ...setup, config: { ...(setup.config as object), ttlSeconds: 86_400 }, maxTtlSeconds: 900 }
    })
    expect(failures(report)['issue: token type set, expiresAt in the future and within maxTtlSeconds']).toMatch(/exceeds maxTtlSeconds \(900\)/)
  })

  it('a ref holding the token fails, without printing the token', async () => {
    const report = await run(broken((base) => ({ issue: async (request, signal) => { const issued = await base.issue(request, signal); return { ...issued, ref: { ...issued.ref, debug: `tok=${issued.credential.accessToken.slice(3, 20)}` } } } })))
    const message = failures(report)['issue: serialised ref and index hold no part of the credential']
    expect(message).toMatch(/ref holds 8 characters of credential of conformance-\d+-\d+\.accessToken \(from offset \d+\)/)
    expect(message).not.toMatch(/mem_/)
  })

  it('an index key not declared in whoisKeys fails', async () => {
    const report = await run(broken(() => ({}), { whoisKeys: [] }))
    expect(failures(report)['issue: serialised ref and index hold no part of the credential']).toMatch(/index key "memory_token_sha256" is not declared/)
  })

  it('a revocationSecret that revoke does not need fails', async () => {
    const report = await run(broken((base) => ({ issue: async (request, signal) => ({ ...(await base.issue(request, signal)), revocationSecret: 'kept-for-no-reason' }) })))
    expect(failures(report)['issue: revocationSecret only when revoke needs it']).toMatch(/revoke succeeded without the revocationSecret/)
  })

  it('a raw error, or a catalogue error of the wrong kind, for a bogus target fails', async () => {
    const report = await run(broken(() => ({ validateBinding: async () => Promise.reject(new TypeError('fetch failed')) })))
    expect(failures(report)['errors: a bogus target is refused with a catalogue error holding no secret']).toMatch(/threw TypeError \(not a LanyardError\); throw a catalogue class/)
  })

  it('an error message holding a config secret fails, naming the secret by its path only', async () => {
    const caseName = 'errors: a config the upstream refuses gives a catalogue error holding no secret'
    const safe = await run(keyedConnector((key) => `key ending ${key.length} chars was refused`), keyedSetup)
    expect(safe.cases.find((c) => c.name === caseName)?.status).toBe('passed')
    const leaky = await run(keyedConnector((key) => `key ${key} was refused`), keyedSetup)
    expect(failures(leaky)[caseName]).toMatch(/the error message or detail holds 8 characters of bogus\.config\.apiKey/)
    expect(failures(leaky)[caseName]).not.toMatch(/wrong-key/)
  })

  it('an issue that ignores an aborted signal fails the abort case', async () => {
    const report = await run(broken((base) => ({ issue: (request) => base.issue(request, new AbortController().signal) })))
    expect(failures(report)['abort: an already-aborted signal stops issue, validateBinding and revoke']).toMatch(/issue ignored an already-aborted signal and completed/)
    expect(report.leftovers).toEqual([])
  })

  it('an issue that sends its request without the aborted signal fails, even though it then throws', async () => {
    const sendsFirst = broken((base, host) => ({
      issue: async (request, signal) => {
        await host.fetch('https://upstream.test/tokens', { method: 'POST' })
        signal.throwIfAborted()
        return base.issue(request, signal)
      },
    }))
    const report = await run(sendsFirst, async () => {
      const setup = await memorySetup('ref')
      return { ...setup, host: { ...setup.host, fetch: async () => new Response(null, { status: 204 }) } }
    })
    expect(failures(report)['abort: an already-aborted signal stops issue, validateBinding and revoke']).toMatch(/still sent POST \/tokens upstream without that signal/)
  })

  it('a probe that always says alive fails', async () => {
    const report = await run(broken(() => ({ probe: async () => 'alive' as const })))
    expect(failures(report)['probe: alive before revoke, dead after']).toMatch(/probe said "alive" after revoke said "revoked"/)
  })

  it('an unhealthy health fails', async () => {
    const report = await run(broken(() => ({ health: async () => ({ ok: false, detail: 'down' }) })))
    expect(failures(report)['health: ok, with a detail that holds no secret']).toMatch(/expected \{ ok: true \}/)
  })

  it('a token written to the log fails the log case', async () => {
    const report = await run(broken((base, host) => ({ issue: async (request, signal) => { const issued = await base.issue(request, signal); host.log.info({ token: issued.credential.accessToken }, 'minted'); return issued } })))
    expect(failures(report)['logs: nothing the connector logged holds a secret']).toMatch(/log record #\d+ \(info "minted"\) holds 8 characters of credential of/)
  })
})
