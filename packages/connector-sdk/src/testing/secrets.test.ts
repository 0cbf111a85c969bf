import { describe, expect, it } from 'vitest'
import { SecretValue } from '@lanyard/core'
import { configSecrets, credentialSecrets, findLeak } from './secrets.js'

describe('credentialSecrets', () => {
  const credential = {
    accessToken: 'ASIA-session-token-abcdefgh',
    tokenType: 'N_A',
    issuedTokenType: 'urn:x',
    extra: { aws_credentials: { AccessKeyId: 'ASIAEXAMPLE12345', SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG', Expiration: '2030-01-01T01:00:00Z', Region: 'eu' } },
  }

  it('watches the token, every long string under extra and the revocation secret', () => {
    expect(credentialSecrets(credential, { revocationSecret: 'sealed-until-revoke' }).map((s) => s.label)).toEqual([
      'credential.accessToken',
      'credential.extra.aws_credentials.AccessKeyId',
      'credential.extra.aws_credentials.SecretAccessKey',
      'credential revocationSecret',
    ])
  })

  it('skips declared public parts and ISO instants, never the token', () => {
    const labels = credentialSecrets(credential, { publicParts: ['ASIAEXAMPLE12345', credential.accessToken] }).map((s) => s.label)
    expect(labels).toEqual(['credential.accessToken', 'credential.extra.aws_credentials.SecretAccessKey'])
  })
})

describe('findLeak', () => {
  const secrets = [{ label: 'credential.accessToken', value: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a' }]

  it('finds any 8-character fragment and describes it without the secret', () => {
    const leak = findLeak('{"hint":"2c6912E7"}', secrets)
    expect(leak).toBe('8 characters of credential.accessToken (from offset 14)')
    expect(findLeak('{"hint":"2c6912E"}', secrets)).toBeUndefined()
  })

  it('finds SecretValues in a resolved config, by path', () => {
    expect(configSecrets({ app: { privateKey: new SecretValue('-----BEGIN PRIVATE KEY-----') }, short: new SecretValue('abc') })).toEqual([{ label: 'config.app.privateKey', value: '-----BEGIN PRIVATE KEY-----' }])
  })
})
