import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { OAuthSandbox } from '@lanyard/sandbox'
import { API, harness, sandboxOptions, secrets, startOAuthSandbox, systemConfig } from './fixture.js'

/**
 * What servers document about the scopes of a token, accepted where the system says so:
 * Keycloak's default client scopes (`extraScopes`), Entra ID v2's `.default` and scope-less
 * app tokens (`acceptUnscopedTokens`). Anything wider is refused, as before.
 */
const ENTRA = 'https://entra.example.test/'
const DEFAULT = `${ENTRA}.default`
let sandbox: OAuthSandbox

beforeAll(async () => {
  const base = sandboxOptions()
  sandbox = await startOAuthSandbox({
    ...base,
    scopes: [...base.scopes, 'profile', 'email', DEFAULT],
    resources: { ...base.resources, [API]: { scopes: ['read', 'write'] }, [ENTRA]: { scopes: ['read', DEFAULT], omitScopeClaim: true } },
    clients: [
      ...base.clients,
      { clientId: 'keycloak-bot', auth: 'client_secret_basic', clientSecret: secrets.deployBot, defaultScopes: ['profile', 'email'] },
    ],
  })
})
afterAll(() => sandbox.close())

const keycloakClient = { clientId: 'keycloak-bot', auth: 'client_secret_basic', clientSecret: undefined as unknown }
function config(overrides: Record<string, unknown> = {}) {
  const base = systemConfig(sandbox, overrides) as { clients: Array<Record<string, unknown>> }
  return { ...base, clients: [...base.clients, { ...keycloakClient, clientSecret: base.clients[0]!['clientSecret'] }] }
}

describe('Keycloak: default client scopes added to every token', () => {
  test('without extraScopes: refused as wider than asked (as before)', async () => {
    await expect(harness(config()).issue('keycloak-bot', ['read', `resource:${API}`])).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringMatching(/JWT scope claim: "profile" added, "email" added/),
    })
  })

  test('extraScopes naming them: accepted, and the token carries exactly asked + allow-listed', async () => {
    const h = harness(config({ extraScopes: ['profile', 'email'] }))
    const issued = await h.issue('keycloak-bot', ['read', `resource:${API}`])
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, scopes: ['read', 'profile', 'email'] })
  })

  test('an allow-list that misses one of them: refused, naming it', async () => {
    await expect(harness(config({ extraScopes: ['profile'] })).issue('keycloak-bot', ['read', `resource:${API}`])).rejects.toMatchObject({
      message: expect.stringMatching(/JWT scope claim: "email" added\)/),
    })
  })

  test('an extra scope that is also a grantable scope is refused at load: the allow-list cannot widen a ceiling', () => {
    expect(() => harness(config({ scopes: ['read', 'write', 'profile'], extraScopes: ['profile'] }))).toThrow(/profile.{0,2} is in scopes: an extra scope must be one no ceiling can grant/)
  })
})

describe('Entra ID v2: `.default`, and app tokens without `scp`', () => {
  test('`<resource>/.default` is satisfied though the JWT names no scope', async () => {
    const issued = await harness(config()).issue('deploy-bot', [DEFAULT, `resource:${ENTRA}`])
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true, scopes: [] })
  })

  test('a named scope the JWT does not carry: refused unless acceptUnscopedTokens', async () => {
    await expect(harness(config()).issue('deploy-bot', ['read', `resource:${ENTRA}`])).rejects.toMatchObject({
      message: expect.stringMatching(/JWT scope claim: "read" missing/),
    })
    const issued = await harness(config({ acceptUnscopedTokens: true })).issue('deploy-bot', ['read', `resource:${ENTRA}`])
    expect(await sandbox.inspect(issued.credential.accessToken)).toMatchObject({ active: true })
  })

  test('acceptUnscopedTokens never lets through a token that names a scope not asked', async () => {
    await expect(harness(config({ acceptUnscopedTokens: true })).issue('keycloak-bot', ['read', `resource:${API}`])).rejects.toMatchObject({
      message: expect.stringMatching(/"profile" added/),
    })
  })
})
