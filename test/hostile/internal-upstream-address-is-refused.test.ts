import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { startTestBroker } from '../support/broker.js'
import { hostileBroker } from '../support/hostile.js'

const spellings = [
  'https://169.254.169.254',
  'https://10.0.0.1',
  'https://[::ffff:a9fe:a9fe]',
  'http://127.0.0.1:6379/',
  'https://2130706433',
  'https://0x7f.1',
  'https://metadata.google.internal/',
  'https://[fd00:ec2::254]/',
  'https://100.100.100.200/',
  'https://[fe80::1]/',
  'https://0.0.0.0/',
]
const alwaysRefused = ['https://169.254.169.254', 'https://[::ffff:a9fe:a9fe]', 'https://metadata.google.internal/', 'https://[fd00:ec2::254]/', 'https://100.100.100.200/', 'https://[fe80::1]/']
const appKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()

/** One system per connector, each with its URL field set to `url`. */
function systems(url: string, allowPrivateNetwork = false) {
  const flag = allowPrivateNetwork ? { allowPrivateNetwork } : {}
  return [
    { name: 'gh', type: 'github', appId: 1, privateKey: { env: 'APP_KEY' }, baseUrl: url, ...flag },
    { name: 'aws', type: 'aws', endpoint: url, ...flag },
    { name: 'idp', type: 'oauth', issuer: url, clients: [{ clientId: 'c', auth: 'client_secret_post', clientSecret: { env: 'APP_KEY' } }], ...flag },
  ]
}

describe('connector URLs', () => {
  it.each(spellings)('refuses %s at start, naming each connector field', async (url) => {
    const start = startTestBroker({ env: { APP_KEY: appKey }, config: { systems: systems(url) } })
    await expect(start).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    const issues = ((await start.catch((e: { issues: string[] }) => e)) as { issues: string[] }).issues
    expect(issues).toEqual(expect.arrayContaining([expect.stringMatching(/^systems\[0\]\.baseUrl: /), expect.stringMatching(/^systems\[1\]\.endpoint: /), expect.stringMatching(/^systems\[2\]\.issuer: /)]))
  })

  it.each(alwaysRefused)('refuses %s even with allowPrivateNetwork in a sandbox', async (url) => {
    const start = startTestBroker({ env: { APP_KEY: appKey }, config: { sandbox: true, systems: systems(url, true) } })
    await expect(start).rejects.toThrow(/systems\[0\]\.baseUrl: a link-local, cloud-metadata or unspecified address is refused always/)
  })

  it('takes a private address only with allowPrivateNetwork on that system', async () => {
    const t = await startTestBroker({ env: { APP_KEY: appKey }, config: { systems: [systems('https://10.0.0.1', true)[0]] } })
    expect((await t.admin('GET', '/v1/systems')).status).toBe(200)
    await t.close()
  })
})

describe('webhook URLs', () => {
  const h = hostileBroker()
  it.each(spellings)('refuses %s at POST /v1/webhooks with a problem naming the field', async (url) => {
    const response = await h.t.admin('POST', '/v1/webhooks', { url })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(response.body).toMatchObject({ code: 'ERR_REQUEST_INVALID', errors: [expect.stringMatching(/^body\.url: /)] })
    expect((await h.t.admin('GET', '/v1/webhooks')).body.webhooks).toEqual([])
    await h.expectNothingMinted()
  })
})
