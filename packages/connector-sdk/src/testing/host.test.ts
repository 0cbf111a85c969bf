import { describe, expect, it } from 'vitest'
import { createTestHost } from './host.js'

describe('createTestHost', () => {
  it('records every log record, silently unless a logger is given', () => {
    const forwarded: unknown[] = []
    const host = createTestHost({ log: { debug: () => {}, info: (fields) => forwarded.push(fields), warn: () => {}, error: () => {} } })
    host.log.info({ grantId: 'g1' }, 'minted')
    host.log.warn({ status: 503 })
    expect(host.logs).toEqual([{ level: 'info', fields: { grantId: 'g1' }, message: 'minted' }, { level: 'warn', fields: { status: 503 } }])
    expect(forwarded).toEqual([{ grantId: 'g1' }])
  })

  it('records each request made through fetch, without headers, and whether its signal was aborted', async () => {
    const host = createTestHost({ fetch: async () => new Response('ok') })
    const aborted = new AbortController()
    aborted.abort()
    await host.fetch('https://api.test/a', { method: 'POST', headers: { authorization: 'Bearer secret-token-value' } })
    await host.fetch(new Request('https://api.test/b'), { signal: aborted.signal })
    expect(host.requests).toEqual([
      { method: 'POST', url: 'https://api.test/a', aborted: false },
      { method: 'GET', url: 'https://api.test/b', aborted: true },
    ])
  })

  it('lends a signer that refuses unless setup supplies one', async () => {
    await expect(createTestHost().signer.signIdToken({ sub: 'a', aud: 'b', ttlSeconds: 60 })).rejects.toThrow('no signer in this test')
    const signer = { issuer: 'https://broker.test', signIdToken: async () => 'signed' }
    expect(await createTestHost({ signer }).signer.signIdToken({ sub: 'a', aud: 'b', ttlSeconds: 60 })).toBe('signed')
  })
})
