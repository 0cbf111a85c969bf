import { describe, expect, it } from 'vitest'
import { classifyAddress, upstreamUrl, withUpstreamPolicy, type UpstreamPolicy } from './upstream-url.js'

const strict: UpstreamPolicy = { allowPrivateNetwork: false, allowLoopback: false }
const everything: UpstreamPolicy = { allowPrivateNetwork: true, allowLoopback: true }

function refusal(url: string, policy: UpstreamPolicy): string | undefined {
  const result = withUpstreamPolicy(policy, () => upstreamUrl().safeParse(url))
  return result.success ? undefined : result.error.issues[0]?.message
}

describe('upstreamUrl: the one address rule', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[::ffff:169.254.169.254]/',
    'https://2852039166/',
    'https://0xa9.0xfe.0xa9.0xfe/',
    'https://[fe80::1]/',
    'https://[fd00:ec2::254]/',
    'https://100.100.100.200/',
    'https://metadata.google.internal/',
    'https://METADATA.google.internal./',
    'https://metadata.goog/',
    'https://0.0.0.0/',
    'https://[::]/',
    'https://[64:ff9b::a9fe:a9fe]/',
  ])('refuses %s whatever the switches say', (url) => {
    expect(refusal(url, everything)).toMatch(/link-local, cloud-metadata or unspecified address is refused always/)
  })

  it.each(['http://127.0.0.1:6379/', 'https://2130706433/', 'https://0x7f.1/', 'https://127.1/', 'https://[::1]/', 'https://localhost/', 'https://a.localhost/'])('refuses loopback %s unless the deployment is a sandbox', (url) => {
    expect(refusal(url, { ...strict, allowPrivateNetwork: true })).toMatch(/loopback address is refused/)
    expect(refusal(url, { ...strict, allowLoopback: true })).toBeUndefined()
  })

  it.each(['https://10.0.0.1/', 'https://172.16.5.4/', 'https://192.168.1.1/', 'https://[fd12:3456::1]/', 'https://100.64.0.1/', 'https://[::ffff:10.0.0.1]/'])('refuses private %s unless allowPrivateNetwork', (url) => {
    expect(refusal(url, { ...strict, allowLoopback: true })).toMatch(/private-network address is refused/)
    expect(refusal(url, { ...strict, allowPrivateNetwork: true })).toBeUndefined()
  })

  it('takes public https, refuses plain http off loopback and credentials in the URL', () => {
    expect(refusal('https://api.github.com', strict)).toBeUndefined()
    expect(refusal('https://8.8.8.8/', strict)).toBeUndefined()
    expect(refusal('http://api.github.com', everything)).toMatch(/plain http only to a loopback address/)
    expect(refusal('https://user:pw@api.github.com', strict)).toBe('must not carry credentials')
    expect(refusal('ftp://api.github.com', strict)).toBe('expected an http(s) URL')
    expect(refusal('http://127.0.0.1:9000', { ...everything, allowPlainHttp: false })).toMatch(/plain http needs `upstream.allowInsecureUpstreamHttp: true`/)
    expect(refusal('https://127.0.0.1:9000', { ...everything, allowPlainHttp: false })).toBeUndefined()
  })

  it('classifies resolved addresses the same way the config check does', () => {
    expect(classifyAddress('93.184.216.34')).toBe('public')
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback')
    expect(classifyAddress('10.1.2.3')).toBe('private')
    expect(classifyAddress('169.254.0.1')).toBe('forbidden')
    expect(classifyAddress('not an address')).toBe('forbidden')
  })
})
