import { exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startOAuthSandbox } from './index.js'
import type { OAuthSandbox, OAuthSandboxOptions } from './index.js'

const API = 'https://api.example.test/'
const LEDGER = 'https://ledger.example.test/'
/** JWTs the server remembers, as Okta and Keycloak do. */
const TRACKED = 'https://tracked.example.test/'
const secret = (name: string) => `${name}-0123456789abcdef0123456789abcdef`

let sandbox: OAuthSandbox
let jwtClientKey: CryptoKey
let strangerKey: CryptoKey

const options = (jwk: JWK): OAuthSandboxOptions => ({
  scopes: ['read', 'write', 'admin'],
  resources: {
    [API]: { scopes: ['read', 'write'] },
    [LEDGER]: { scopes: ['read', 'write', 'admin'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 120 },
    [TRACKED]: { scopes: ['read'], rememberJwt: true },
  },
  clients: [
    { clientId: 'basic', auth: 'client_secret_basic', clientSecret: secret('basic') },
    { clientId: 'post', auth: 'client_secret_post', clientSecret: secret('post'), scopes: ['read'] },
    { clientId: 'pkjwt', auth: 'private_key_jwt', jwks: { keys: [jwk] }, resources: [LEDGER] },
    { clientId: 'dpop', auth: 'client_secret_basic', clientSecret: secret('dpop'), dpopBound: true },
  ],
})

beforeAll(async () => {
  const pair = await generateKeyPair('ES256')
  jwtClientKey = pair.privateKey
  strangerKey = (await generateKeyPair('ES256')).privateKey
  sandbox = await startOAuthSandbox(options({ ...(await exportJWK(pair.publicKey)), kid: 'k1' }))
})
afterAll(() => sandbox.close())

function connect(clientId: string, auth: oidc.ClientAuth, server = sandbox): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] })
}
const basic = () => connect('basic', oidc.ClientSecretBasic(secret('basic')))

/** The OAuth error of a refused request: from the body, or from WWW-Authenticate on a 401. */
async function refusal(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  const err = await promise.then(
    () => expect.fail('the server accepted the request'),
    (e: unknown) => e,
  )
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    return { error: String(err.cause[0]?.parameters.error), status: err.status }
  }
  expect(err).toBeInstanceOf(oidc.ResponseBodyError)
  const { error, status } = err as oidc.ResponseBodyError
  return { error, status }
}

describe('metadata', () => {
  test('discovery names the issuer and the token, introspection and revocation endpoints', async () => {
    const server = (await basic()).serverMetadata()
    expect(server.issuer).toBe(sandbox.issuer)
    expect(sandbox.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.grant_types_supported).toContain('client_credentials')
    expect(server.token_endpoint).toBe(`${sandbox.issuer}/token`)
    expect(server.introspection_endpoint).toBeDefined()
    expect(server.revocation_endpoint).toBeDefined()
  })
})

describe('client credentials with resource indicators', () => {
  test('a JWT access token carries the resource as audience and only the scopes asked for', async () => {
    const config = await basic()
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: API })
    expect(tokens.scope).toBe('read')
    expect(tokens.expires_in).toBe(600)
    const seen = await sandbox.inspect(tokens.access_token)
    expect(seen).toMatchObject({ active: true, format: 'jwt', clientId: 'basic', scopes: ['read'], audience: [API] })
    expect(seen.active && seen.jti).toMatch(/.+/)
  })

  test('scopes the resource does not serve are dropped from the grant, not refused', async () => {
    // oidc-provider narrows silently (RFC 6749 3.3 lets a server issue less than asked);
    // a connector has to compare the granted scope with what it asked for.
    const tokens = await oidc.clientCredentialsGrant(await basic(), { scope: 'read admin', resource: API })
    expect(tokens.scope).toBe('read')
  })

  test('client_secret_post and private_key_jwt authenticate too', async () => {
    const post = await connect('post', oidc.ClientSecretPost(secret('post')))
    expect((await oidc.clientCredentialsGrant(post, { scope: 'read', resource: API })).scope).toBe('read')
    const pkjwt = await connect('pkjwt', oidc.PrivateKeyJwt({ key: jwtClientKey, kid: 'k1' }))
    const tokens = await oidc.clientCredentialsGrant(pkjwt, { scope: 'admin', resource: LEDGER })
    expect(await sandbox.inspect(tokens.access_token)).toMatchObject({ active: true, clientId: 'pkjwt', scopes: ['admin'] })
  })

  test('a wrong secret or a key the server does not know is invalid_client, and nothing is issued', async () => {
    const before = sandbox.issuedTokens().length
    const wrong = await connect('basic', oidc.ClientSecretBasic(secret('other')))
    expect(await refusal(oidc.clientCredentialsGrant(wrong, { scope: 'read', resource: API }))).toEqual({
      error: 'invalid_client',
      status: 401,
    })
    const stranger = await connect('pkjwt', oidc.PrivateKeyJwt({ key: strangerKey, kid: 'k1' }))
    expect((await refusal(oidc.clientCredentialsGrant(stranger, { scope: 'read', resource: LEDGER }))).error).toBe('invalid_client')
    expect(sandbox.issuedTokens()).toHaveLength(before)
  })

  test('a resource unknown, or not registered for the client, is invalid_target', async () => {
    expect((await refusal(oidc.clientCredentialsGrant(await basic(), { scope: 'read', resource: 'https://nope.test/' }))).error).toBe(
      'invalid_target',
    )
    const pkjwt = await connect('pkjwt', oidc.PrivateKeyJwt({ key: jwtClientKey, kid: 'k1' }))
    expect((await refusal(oidc.clientCredentialsGrant(pkjwt, { scope: 'read', resource: API }))).error).toBe('invalid_target')
  })

  test('a scope outside the client registration is invalid_scope', async () => {
    const post = await connect('post', oidc.ClientSecretPost(secret('post')))
    expect((await refusal(oidc.clientCredentialsGrant(post, { scope: 'write', resource: API }))).error).toBe('invalid_scope')
  })

  test('a DPoP-bound client gets a token bound to its key, and none without a proof', async () => {
    const config = await connect('dpop', oidc.ClientSecretBasic(secret('dpop')))
    expect((await refusal(oidc.clientCredentialsGrant(config, { scope: 'read', resource: API }))).error).toBe('invalid_grant')
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'))
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: API }, { DPoP })
    expect(tokens.token_type).toBe('dpop')
    expect(await sandbox.inspect(tokens.access_token)).toMatchObject({ active: true, jkt: expect.any(String) })
  })
})

describe('introspection and revocation', () => {
  test('an opaque token introspects active with its scope and audience, then inactive once revoked', async () => {
    const config = await basic()
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'read write', resource: LEDGER })
    expect(await oidc.tokenIntrospection(config, token)).toMatchObject({ active: true, client_id: 'basic', scope: 'read write', aud: LEDGER })

    await oidc.tokenRevocation(config, token)

    expect(await oidc.tokenIntrospection(config, token)).toEqual(expect.objectContaining({ active: false }))
    expect(await sandbox.inspect(token)).toEqual({ active: false })
    expect(sandbox.issuedTokens().at(-1)).toMatchObject({ clientId: 'basic', format: 'opaque', revoked: true })
    // RFC 7009 2.2: revoking what is already gone still answers 200.
    await oidc.tokenRevocation(config, token)
  })

  test('a JWT access token is not tracked: introspection says inactive, revocation changes nothing', async () => {
    // Certified oidc-provider behaviour, kept as is: JWT access tokens are not stored, so the
    // server cannot introspect or revoke them; a resource server accepts them until `exp`.
    const config = await basic()
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: API })
    expect((await oidc.tokenIntrospection(config, token)).active).toBe(false)
    await oidc.tokenRevocation(config, token)
    expect((await sandbox.inspect(token)).active).toBe(true)
  })

  test('a client sees and revokes only its own tokens', async () => {
    const post = await connect('post', oidc.ClientSecretPost(secret('post')))
    const { access_token: token } = await oidc.clientCredentialsGrant(await basic(), { scope: 'read', resource: LEDGER })
    expect((await oidc.tokenIntrospection(post, token)).active).toBe(false)
    expect((await refusal(oidc.tokenRevocation(post, token))).error).toBe('invalid_request')
    expect((await sandbox.inspect(token)).active).toBe(true)
  })

  test('a forged or altered token is not accepted', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(await basic(), { scope: 'read', resource: API })
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const widened = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'read write' }),
    ).toString('base64url')
    expect(await sandbox.inspect(`${header}.${widened}.${signature}`)).toEqual({ active: false })
    expect(await sandbox.inspect('not-a-token')).toEqual({ active: false })
  })
})

describe('a server without introspection or revocation', () => {
  test('does not advertise them', async () => {
    const bare = await startOAuthSandbox({ ...options({}), clients: [options({}).clients[0]!], introspection: false, revocation: false })
    try {
      const server = (await connect('basic', oidc.ClientSecretBasic(secret('basic')), bare)).serverMetadata()
      expect(server.introspection_endpoint).toBeUndefined()
      expect(server.revocation_endpoint).toBeUndefined()
    } finally {
      await bare.close()
    }
  })
})

describe('failure controls', () => {
  let faulty: OAuthSandbox
  beforeAll(async () => {
    faulty = await startOAuthSandbox({ ...options({}), clients: [options({}).clients[0]!] })
  })
  afterAll(() => faulty.close())
  const grant = async () =>
    oidc.clientCredentialsGrant(await connect('basic', oidc.ClientSecretBasic(secret('basic')), faulty), { scope: 'read', resource: API })

  test('down("refuse") refuses connections; up() serves again on the same issuer', async () => {
    const config = await connect('basic', oidc.ClientSecretBasic(secret('basic')), faulty)
    await faulty.down('refuse')
    const err = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: API }).catch((e: unknown) => e)
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
    await faulty.up()
    expect((await grant()).scope).toBe('read')
  })

  test('down("unavailable") answers 503', async () => {
    await faulty.down('unavailable')
    try {
      const response = await fetch(`${faulty.issuer}/.well-known/openid-configuration`)
      expect(response.status).toBe(503)
    } finally {
      await faulty.up()
    }
  })

  test('slow() holds every request for the latency given', async () => {
    faulty.slow(60_000)
    try {
      const late = fetch(`${faulty.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(50) })
      await expect(late).rejects.toMatchObject({ name: 'TimeoutError' })
    } finally {
      await faulty.up()
    }
    expect((await grant()).scope).toBe('read')
  })
})

test('options that contradict each other fail at start, naming the field', async () => {
  await expect(
    startOAuthSandbox({
      scopes: ['read'],
      resources: { [API]: { scopes: ['read', 'write'] }, 'not a uri': { scopes: [] } },
      clients: [
        { clientId: 'a', auth: 'private_key_jwt' },
        { clientId: 'a', auth: 'client_secret_basic', clientSecret: 'x', resources: ['https://other.test/'] },
      ],
    }),
  ).rejects.toThrow(
    /resources\["https:\/\/api\.example\.test\/"\]\.scopes: "write"[\s\S]*resources\["not a uri"\][\s\S]*clients\[0\]: private_key_jwt needs jwks[\s\S]*clients\[1\]\.clientId: duplicate[\s\S]*clients\[1\]\.resources/,
  )
})

describe('JWT access tokens the server remembers (rememberJwt)', () => {
  test('introspection answers for the JWT, RFC 7009 makes it inactive, and a resource server validating it alone still accepts it', async () => {
    const config = await basic()
    const { access_token: token } = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: TRACKED })
    expect(token.split('.')).toHaveLength(3)
    expect(await oidc.tokenIntrospection(config, token)).toMatchObject({ active: true, client_id: 'basic', scope: 'read' })
    await oidc.tokenRevocation(config, token)
    expect(await oidc.tokenIntrospection(config, token)).toEqual({ active: false })
    expect(await sandbox.inspect(token)).toMatchObject({ active: true, format: 'jwt' })
    expect(sandbox.issuedTokens().at(-1)).toMatchObject({ format: 'jwt', revoked: true })
  })

  test('without rememberJwt the server knows nothing of its JWTs; a forged JWT naming a remembered jti finds nothing', async () => {
    const config = await basic()
    const { access_token: plain } = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: API })
    expect(await oidc.tokenIntrospection(config, plain)).toEqual({ active: false })
    const { access_token: tracked } = await oidc.clientCredentialsGrant(config, { scope: 'read', resource: TRACKED })
    const [header, payload] = tracked.split('.')
    expect(await oidc.tokenIntrospection(config, `${header}.${payload}.${'A'.repeat(342)}`)).toEqual({ active: false })
    expect(await oidc.tokenIntrospection(config, tracked)).toMatchObject({ active: true })
  })

  test('another client cannot introspect or revoke it', async () => {
    const { access_token: token } = await oidc.clientCredentialsGrant(await basic(), { scope: 'read', resource: TRACKED })
    const post = await connect('post', oidc.ClientSecretPost(secret('post')))
    expect(await oidc.tokenIntrospection(post, token)).toEqual({ active: false })
    await oidc.tokenRevocation(post, token).catch(() => undefined)
    expect(await oidc.tokenIntrospection(await basic(), token)).toMatchObject({ active: true })
  })
})
