import { afterAll, beforeAll, expect } from 'vitest'
import { startGitHubActionsIssuer, startKubernetesIssuer, startSpiffeIssuer, type GitHubActionsIssuer, type KubernetesIssuer, type SpiffeIssuer } from '@lanyard/sandbox'
import { uniqueHandle, jwtBearer, tokenExchange, jwtType } from './agent.js'
import { startTestBroker, type TestBroker } from './broker.js'
import { memorySystem } from './memory.js'

/** The audience every trust rule of these suites names: the broker's public name. */
export const brokerAudience = 'https://lanyard.test'
export const githubIssuer = 'https://token.actions.githubusercontent.com'

export interface FederationContext {
  t: TestBroker
  github: GitHubActionsIssuer
  kubernetes: KubernetesIssuer
  spiffe: SpiffeIssuer
  /** The token endpoint as the broker announces it: the `htu` of every proof. */
  tokenEndpoint: string
  /** Creates an agent (no key) bound to the memory system, with these trust rules. */
  agentTrusting(...rules: Array<Record<string, unknown>>): Promise<{ handle: string; ruleIds: string[] }>
  /** POST /oauth/token jwt-bearer with a platform token. */
  signIn(assertion: string, extra?: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>
  /** POST /oauth/token token exchange for the memory system. */
  exchange(subjectToken: string, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>
  liveCredentials(): number
  /** No grant recorded for any agent these suites made, nothing live upstream. */
  expectNothingMinted(): Promise<void>
}

/**
 * A broker trusting three stand-in issuers (GitHub Actions under its real `iss`, keys at the
 * stand-in; Kubernetes; SPIRE), with a memory system to exchange for. `config` is merged into
 * the broker configuration (`federation` settings, `dpop`).
 */
export function federatedBroker(options: { federation?: Record<string, unknown>; dpop?: Record<string, unknown> } = {}): FederationContext {
  const mem = memorySystem('mem')
  const handles: string[] = []
  const context = {} as FederationContext
  beforeAll(async () => {
    context.github = await startGitHubActionsIssuer()
    context.kubernetes = await startKubernetesIssuer()
    context.spiffe = await startSpiffeIssuer({ trustDomain: 'acme.dev' })
    context.t = await startTestBroker({
      config: {
        sandbox: true,
        systems: [mem.system],
        federation: {
          issuers: [
            { issuer: githubIssuer, jwksUri: context.github.jwksUri, audiences: [brokerAudience], allowedAlgs: ['RS256'] },
            { issuer: context.kubernetes.issuer, audiences: [brokerAudience], allowedAlgs: ['RS256'] },
            { issuer: context.spiffe.issuer, audiences: [brokerAudience], allowedAlgs: ['ES256'] },
          ],
          ...options.federation,
        },
        ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
      },
    })
    context.tokenEndpoint = `${context.t.issuer}/oauth/token`
    context.agentTrusting = async (...rules) => {
      const handle = uniqueHandle('workload')
      handles.push(handle)
      const created = await context.t.admin('POST', '/v1/agents', { handle, owner: 'owner@acme.dev' })
      if (created.status !== 201) throw new Error(`create agent: ${created.status} ${JSON.stringify(created.body)}`)
      const bound = await context.t.admin('POST', `/v1/agents/${handle}/bindings`, { system: 'mem', target: { account: 'acme' }, ceiling: ['read'] })
      if (bound.status !== 201) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.body)}`)
      const ruleIds: string[] = []
      for (const rule of rules) {
        const added = await context.t.admin('POST', `/v1/agents/${handle}/trust`, rule)
        if (added.status !== 201) throw new Error(`trust: ${added.status} ${JSON.stringify(added.body)}`)
        ruleIds.push(added.body.id)
      }
      return { handle, ruleIds }
    }
    context.signIn = (assertion, extra = {}, headers = {}) => context.t.form('/oauth/token', { grant_type: jwtBearer, assertion, ...extra }, headers)
    context.exchange = (subjectToken, headers = {}) => context.t.form('/oauth/token', { grant_type: tokenExchange, subject_token: subjectToken, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }, headers)
    context.liveCredentials = () => mem.upstream.liveCount()
    context.expectNothingMinted = async () => {
      expect(mem.upstream.liveCount()).toBe(0)
      for (const handle of handles) expect((await context.t.admin('GET', `/v1/agents/${handle}/grants`)).body.grants).toEqual([])
    }
  })
  afterAll(async () => {
    await context.t?.close()
    await Promise.all([context.github?.close(), context.kubernetes?.close(), context.spiffe?.close()])
  })
  return context
}

/** The GitHub Actions rule of the example, for `acme/api` on main. */
export function githubRule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: githubIssuer,
    audience: brokerAudience,
    subject: 'repo:acme/api:ref:refs/heads/main',
    claims: { repository_owner: 'acme', workflow_ref: 'acme/api/.github/workflows/deploy.yml@**' },
    shape: 'github-actions',
    ...overrides,
  }
}
