import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '@lanyard/broker'
import { createAgentClient, githubActionsToken } from '@lanyard/client'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

/** Signs in with the platform token, checks what the handle token records, exchanges for `mem`. */
async function signInAndExchange(platformToken: string, ruleId: string, handle: string): Promise<void> {
  const signedIn = await f.signIn(platformToken)
  expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200)
  expect(signedIn.body.token_type).toBe('Bearer')
  const claims = decodeJwt(signedIn.body.access_token)
  const platform = decodeJwt(platformToken)
  expect(claims).toMatchObject({ sub: handle, amr: ['fed'], auth: { method: 'federated', iss: platform.iss, sub: platform.sub, rule: ruleId } })
  const exchanged = await f.exchange(signedIn.body.access_token)
  expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200)
  expect(exchanged.body).toMatchObject({ scope: 'read', grant_id: expect.any(String) })
  const audit = (await f.t.admin('GET', `/v1/agents/${handle}/audit`)).body.events as Array<{ action: string; details: Record<string, unknown> }>
  expect(audit.find((e) => e.action === 'agent.authenticated')?.details).toMatchObject({ method: 'federated', issuer: platform.iss, subject: platform.sub, rule_id: ruleId })
  expect(audit.find((e) => e.action === 'trust.added')?.details).toMatchObject({ rule_id: ruleId, issuer: platform.iss })
}

describe('federated sign-in, each platform through its stand-in issuer', () => {
  it('a GitHub Actions job signs in and exchanges for a memory credential', async () => {
    const { handle, ruleIds } = await f.agentTrusting(githubRule())
    await signInAndExchange(await f.github.token(brokerAudience, { repository: 'acme/api', ref: 'refs/heads/main' }), ruleIds[0]!, handle)
  })

  it('a Kubernetes pod signs in with its projected service-account token', async () => {
    const { handle, ruleIds } = await f.agentTrusting({
      issuer: f.kubernetes.issuer,
      audience: brokerAudience,
      subject: 'system:serviceaccount:payments:api',
      claims: { 'kubernetes.io': { namespace: 'payments', serviceaccount: { name: 'api' } } },
      shape: 'kubernetes',
    })
    await signInAndExchange(await f.kubernetes.token(brokerAudience, { namespace: 'payments', serviceAccount: 'api' }), ruleIds[0]!, handle)
  })

  it('a SPIFFE workload signs in with its JWT-SVID, matched within its trust domain', async () => {
    const { handle, ruleIds } = await f.agentTrusting({ issuer: f.spiffe.issuer, audience: brokerAudience, subject: 'spiffe://acme.dev/ns/*/sa/billing', shape: 'spiffe' })
    await signInAndExchange(await f.spiffe.svid('/ns/prod/sa/billing', brokerAudience), ruleIds[0]!, handle)
  })

  it('the SDK signs in from a GitHub Actions runner, binds the token with DPoP and exchanges', async () => {
    const { handle } = await f.agentTrusting(githubRule({ subject: 'repo:acme/sdk:ref:refs/heads/main', claims: { repository: 'acme/sdk' } }))
    const env = f.github.runnerEnv({ repository: 'acme/sdk', ref: 'refs/heads/main' })
    const client = createAgentClient({ brokerUrl: f.t.url, federated: githubActionsToken({ audience: brokerAudience, env }) })
    const credential = await client.exchange({ system: 'mem' })
    expect(credential.scope).toBe('read')
    expect(client.handle).toBe(handle)
    const token = await client.token()
    expect(decodeJwt(token).cnf).toEqual({ jkt: expect.any(String) })
    // Bound: the same token, stolen and presented without the client's key, exchanges nothing.
    const stolen = await f.exchange(token)
    expect(stolen.status).toBe(400)
    expect(stolen.body.error).toBe('invalid_dpop_proof')
  })

  it('the SDK reads a projected token file afresh at each sign-in (createAgentClient({ federated }))', async () => {
    const { handle } = await f.agentTrusting({ issuer: f.kubernetes.issuer, audience: brokerAudience, subject: 'system:serviceaccount:payments:worker', shape: 'kubernetes' })
    const file = join(mkdtempSync(join(tmpdir(), 'lanyard-k8s-')), 'token')
    writeFileSync(file, `${await f.kubernetes.token(brokerAudience, { namespace: 'payments', serviceAccount: 'worker' })}\n`)
    const client = createAgentClient({ brokerUrl: f.t.url, handle, federated: () => readFile(file) })
    expect((await client.exchange({ system: 'mem' })).scope).toBe('read')
  })

  it('a platform token that meets the rules of two agents signs in only as the one client_id names', async () => {
    const first = await f.agentTrusting(githubRule({ subject: 'repo:acme/shared:ref:refs/heads/main', claims: {} }))
    const second = await f.agentTrusting(githubRule({ subject: 'repo:acme/shared:ref:refs/heads/*', claims: {} }))
    const token = await f.github.token(brokerAudience, { repository: 'acme/shared' })
    const ambiguous = await f.signIn(token)
    expect(ambiguous.status).toBe(400)
    expect(ambiguous.body.error_description).toMatch(/several agents/)
    const named = await f.signIn(token, { client_id: second.handle })
    expect(named.status).toBe(200)
    expect(decodeJwt(named.body.access_token)).toMatchObject({ sub: second.handle, auth: { rule: second.ruleIds[0] } })
    expect(first.handle).not.toBe(second.handle)
  })

  it('trust rules are listed and removed over /v1; a removed rule no longer signs in', async () => {
    const { handle, ruleIds } = await f.agentTrusting(githubRule({ subject: 'repo:acme/tools:ref:refs/heads/main', claims: {} }))
    const listed = await f.t.admin('GET', `/v1/agents/${handle}/trust`)
    expect(listed.body.rules.map((r: { id: string }) => r.id)).toEqual(ruleIds)
    expect((await f.t.admin('DELETE', `/v1/agents/${handle}/trust/${ruleIds[0]}`)).status).toBe(204)
    const again = await f.t.admin('DELETE', `/v1/agents/${handle}/trust/${ruleIds[0]}`)
    expect(again.status).toBe(404)
    expect(again.body.code).toBe('ERR_TRUST_RULE_NOT_FOUND')
    const refused = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/tools' }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    const audit = (await f.t.admin('GET', `/v1/agents/${handle}/audit`)).body.events as Array<{ action: string }>
    expect(audit.map((e) => e.action)).toContain('trust.removed')
  })

  it('discovery announces the DPoP algorithms', async () => {
    const discovery = await (await fetch(`${f.t.url}/.well-known/openid-configuration`)).json()
    expect(discovery.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA']))
  })
})

describe('federation configuration', () => {
  it('refuses symmetric algorithms, plain-http issuers outside the sandbox, duplicates and a timeout that would break the 5 s bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanyard-fed-config-'))
    const issuer = (extra: Record<string, unknown>) => ({ issuer: 'https://token.actions.githubusercontent.com', audiences: ['a'], allowedAlgs: ['RS256'], ...extra })
    const load = (config: Record<string, unknown>) => {
      writeFileSync(join(dir, 'lanyard.yaml'), JSON.stringify(config))
      return () => loadConfig({ path: join(dir, 'lanyard.yaml'), env: {}, cwd: dir })
    }
    expect(load({ federation: { issuers: [issuer({ allowedAlgs: ['HS256'] })] } })).toThrow(/federation\.issuers\[0\]\.allowedAlgs\[0\]/)
    expect(load({ federation: { issuers: [issuer({ allowedAlgs: ['none'] })] } })).toThrow(/allowedAlgs/)
    expect(load({ federation: { issuers: [issuer({ issuer: 'http://k8s.internal' })] } })).toThrow(/federation\.issuers\[0\]\.issuer: expected https/)
    expect(load({ federation: { issuers: [issuer({ jwksUri: 'http://127.0.0.1:1/keys' })] } })).toThrow(/federation\.issuers\[0\]\.jwksUri: expected https/)
    expect(load({ federation: { issuers: [issuer({}), issuer({})] } })).toThrow(/listed twice/)
    expect(load({ federation: { timeoutMs: 10_000 } })).toThrow(/federation\.timeoutMs/)
    expect(load({ sandbox: true, federation: { issuers: [issuer({ jwksUri: 'http://127.0.0.1:1/keys' })] } })).not.toThrow()
  })

  it('the README federation configuration loads as written', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const block = /## Sign in with a platform token[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toContain('federation:')
    const dir = mkdtempSync(join(tmpdir(), 'lanyard-readme-fed-'))
    writeFileSync(join(dir, 'lanyard.yaml'), block!)
    const config = loadConfig({ path: join(dir, 'lanyard.yaml'), env: {}, cwd: dir })
    expect(config.federation.issuers.map((i) => i.issuer)).toContain('https://token.actions.githubusercontent.com')
    expect(config.dpop).toEqual({ requireDpop: false, nonce: false })
  })
})
