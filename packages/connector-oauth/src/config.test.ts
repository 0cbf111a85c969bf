import { generateKeyPairSync } from 'node:crypto'
import { SecretValue } from '@lanyard/connector-sdk'
import { describe, expect, test } from 'vitest'
import { oauthConfig } from './config.js'

const secretClient = { clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: new SecretValue('s3cr3t-value-never-printed') }

function issues(value: unknown): string[] {
  const result = oauthConfig.safeParse(value)
  if (result.success) return []
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
}

describe('oauth system config', () => {
  test('defaults: openid discovery, resource required, no DPoP, 10 s timeout, https only', () => {
    expect(oauthConfig.parse({ issuer: 'https://idp.acme.test', clients: [secretClient] })).toMatchObject({
      discovery: 'openid',
      requireResource: true,
      resourceParameter: 'resource',
      dpop: false,
      timeoutMs: 10_000,
      allowInsecureUpstreamHttp: false,
    })
  })

  test('plain http is refused off loopback, and on loopback unless the insecure switch says so, naming each field', () => {
    const remote = { issuer: 'http://idp.acme.test', endpoints: { token: 'http://idp.acme.test/token' }, clients: [secretClient], allowInsecureUpstreamHttp: true }
    expect(issues(remote)).toEqual([
      'issuer: expected an https URL (plain http only to a loopback address, for the sandbox)',
      'endpoints.token: expected an https URL (plain http only to a loopback address, for the sandbox)',
    ])
    const local = { issuer: 'http://127.0.0.1:4000', endpoints: { token: 'http://127.0.0.1:4000/token' }, clients: [secretClient] }
    expect(issues(local)).toEqual([
      'issuer: plain http needs allowInsecureUpstreamHttp (sandbox only)',
      'endpoints.token: plain http needs allowInsecureUpstreamHttp (sandbox only)',
    ])
    expect(issues({ ...local, allowInsecureUpstreamHttp: true })).toEqual([])
  })

  test('a secret written inline (not resolved from env or file) is refused', () => {
    expect(issues({ issuer: 'https://idp.acme.test', clients: [{ ...secretClient, clientSecret: 'inline' }] })).toEqual([
      'clients.0.clientSecret: expected a secret reference: { env: NAME } or { file: PATH }',
    ])
  })

  test('a private key that does not parse fails at load, naming the field and quoting none of it', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nTUlJQkdvb2RieWVLZXlNYXRlcmlhbA==\n-----END PRIVATE KEY-----'
    const found = issues({ issuer: 'https://idp.acme.test', clients: [{ clientId: 'k', auth: 'private_key_jwt', privateKey: new SecretValue(garbage) }] })
    expect(found).toEqual(['clients.0.privateKey: not a PKCS#8 PEM or a private JWK'])
    const notJson = issues({ issuer: 'https://idp.acme.test', clients: [{ clientId: 'k', auth: 'private_key_jwt', privateKey: new SecretValue('{"d":"TUlJQkdvb2Ri') }] })
    expect(notJson.join()).not.toContain('TUlJQkdvb2Ri')
  })

  test('RSA, EC and Ed25519 keys are accepted; a public key or DSA is not', () => {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => new SecretValue(key.export({ type: 'pkcs8', format: 'pem' }).toString())
    const client = (privateKey: SecretValue) => ({ issuer: 'https://idp.acme.test', clients: [{ clientId: 'k', auth: 'private_key_jwt', privateKey }] })
    expect(issues(client(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)))).toEqual([])
    expect(issues(client(pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)))).toEqual([])
    expect(issues(client(pem(generateKeyPairSync('ed25519').privateKey)))).toEqual([])
    const publicPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(issues(client(new SecretValue(publicPem)))).toEqual(['clients.0.privateKey: not a PKCS#8 PEM or a private JWK'])
    expect(issues(client(pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey)))).toEqual([
      'clients.0.privateKey: unsupported key type: use RSA, EC P-256/P-384 or Ed25519',
    ])
  })

  test('unknown fields and duplicate clients are refused, all at once', () => {
    expect(issues({ issuer: 'https://idp.acme.test', clients: [secretClient, secretClient], audience: 'x' })).toEqual([
      expect.stringMatching(/audience/),
      'clients.1.clientId: duplicate client "deploy-bot"',
    ])
  })
})
