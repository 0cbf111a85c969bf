import { validateStandard } from '@lanyard/core'
import type { ConnectorDefinition, ConnectorInstance, ExchangeCredential, Issued, RevokeOutcome, RevokeRequest, ScopeSet, UpstreamRef } from '@lanyard/core'
import { ConformanceFailure, ensure } from './failure.js'
import { createTestHost } from './host.js'
import type { RecordingHost } from './host.js'
import { configSecrets, credentialSecrets } from './secrets.js'
import type { WatchedSecret } from './secrets.js'
import type { ConformanceSetup, ConnectorConformanceOptions } from './types.js'

/** One credential the run issued, tracked until the kit has seen it revoked or expired. */
export interface TrackedGrant<Credential extends ExchangeCredential = ExchangeCredential> {
  readonly grantId: string
  readonly scopes: ScopeSet
  readonly issuedAt: Date
  readonly issued: Issued<Credential>
  /** `ref` after a JSON round trip: what the broker stores and later hands to `revoke`. */
  readonly storedRef: UpstreamRef
  /** The last outcome `revoke` returned; unset while nothing claimed it gone. */
  outcome?: RevokeOutcome
  /** Set once the cleanup sweep has settled this grant. */
  swept?: true
}

/** Everything a case needs. Built once per run by `createConformanceContext`. */
export interface ConformanceContext<Target = unknown, Credential extends ExchangeCredential = ExchangeCredential> {
  readonly connector: ConnectorDefinition<unknown, Target, Credential>
  readonly setup: ConformanceSetup<Credential>
  readonly host: RecordingHost
  readonly config: unknown
  readonly instance: ConnectorInstance<Target, Credential>
  readonly target: Target
  readonly maxTtlSeconds: number
  readonly grants: readonly TrackedGrant<Credential>[]
  /** Issues through the connector (default: the setup target and `requests.narrower`) and tracks the result. */
  issue(options?: { scopes?: ScopeSet; signal?: AbortSignal; target?: Target; instance?: ConnectorInstance<Target, Credential> }): Promise<TrackedGrant<Credential>>
  /** The request the broker would send to `revoke`, with the revocation secret unless `withSecret` is false. */
  revokeRequest(grant: TrackedGrant<Credential>, withSecret?: boolean): RevokeRequest
  /** Revokes through the connector and records the outcome on the grant. */
  revoke(grant: TrackedGrant<Credential>, options?: { withSecret?: boolean; signal?: AbortSignal }): Promise<RevokeOutcome>
  /** Every secret seen so far: config secrets and all parts of every credential issued. */
  secrets(): WatchedSecret[]
}

let runCounter = 0

/** Validates with a connector schema; a refusal of what setup gave is a setup mistake, said as such. */
async function validated<T>(schema: ConnectorDefinition<T>['config'], value: unknown, what: string): Promise<T> {
  const result = await validateStandard(schema, value)
  if ('issues' in result) throw new ConformanceFailure(`the connector's ${what} schema refused setup's ${what}: ${result.issues.join('; ')}`)
  return result.value
}

export async function createConformanceContext<Config, Target, Credential extends ExchangeCredential>(
  options: ConnectorConformanceOptions<Config, Target, Credential>,
  acceptance: boolean,
): Promise<ConformanceContext<Target, Credential>> {
  const connector = options.connector as unknown as ConnectorDefinition<unknown, Target, Credential>
  const setup = await options.setup({ acceptance })
  // Sandboxes listen on http://127.0.0.1; a real upstream (LANYARD_ACC=1) gets no such allowance.
  const host = createTestHost({ allowInsecureUpstreamHttp: !acceptance, ...setup.host })
  const config = await validated(connector.config, setup.config, 'config')
  const instance = connector.create(config, host)
  const target = await validated(connector.target, setup.target, 'target')
  const maxTtlSeconds = setup.maxTtlSeconds ?? 3600
  const grants: TrackedGrant<Credential>[] = []
  const run = ++runCounter
  const watchedConfig = [...configSecrets(setup.config), ...configSecrets(setup.bogus.config, 'bogus.config')]

  const revokeRequest = (grant: TrackedGrant<Credential>, withSecret = true): RevokeRequest => {
    const request = { grantId: grant.grantId, handle: 'conformance@agents.lanyard.test', ref: grant.storedRef, issuedAt: grant.issuedAt, expiresAt: grant.issued.expiresAt }
    return withSecret && grant.issued.revocationSecret !== undefined ? { ...request, secret: grant.issued.revocationSecret } : request
  }

  return {
    connector,
    setup,
    host,
    config,
    instance,
    target,
    maxTtlSeconds,
    grants,
    async issue(issueOptions = {}) {
      const grantId = `conformance-${run}-${grants.length + 1}`
      const scopes = issueOptions.scopes ?? setup.requests.narrower
      const issuedAt = host.clock.now()
      const issued = await (issueOptions.instance ?? instance).issue(
        { grantId, agent: { handle: 'conformance@agents.lanyard.test', owner: 'owner@lanyard.test', tier: 1 }, target: issueOptions.target ?? target, scopes, maxTtlSeconds },
        issueOptions.signal ?? new AbortController().signal,
      )
      ensure(issued !== null && typeof issued === 'object' && issued.credential !== undefined, 'issue must resolve to { credential, ref, expiresAt }')
      let storedRef: UpstreamRef
      try {
        storedRef = JSON.parse(JSON.stringify(issued.ref)) as UpstreamRef
      } catch (error) {
        throw new ConformanceFailure('issue returned a ref that is not JSON-serialisable', { cause: error })
      }
      const grant: TrackedGrant<Credential> = { grantId, scopes, issuedAt, issued, storedRef }
      grants.push(grant)
      return grant
    },
    revokeRequest,
    async revoke(grant, revokeOptions = {}) {
      const outcome = await instance.revoke(revokeRequest(grant, revokeOptions.withSecret), revokeOptions.signal ?? new AbortController().signal)
      grant.outcome = outcome
      return outcome
    },
    secrets() {
      const publicParts = setup.publicParts
      return [
        ...watchedConfig,
        ...grants.flatMap((grant) =>
          credentialSecrets(grant.issued.credential, {
            label: `credential of ${grant.grantId}`,
            ...(grant.issued.revocationSecret === undefined ? {} : { revocationSecret: grant.issued.revocationSecret }),
            ...(publicParts === undefined ? {} : { publicParts: publicParts(grant.issued.credential) }),
          }),
        ),
      ]
    },
  }
}
