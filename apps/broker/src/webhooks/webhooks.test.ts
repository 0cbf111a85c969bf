import { describe, expect, it } from 'vitest'
import { checkWebhookUrl } from './webhooks.js'

const strict = { allowPrivateNetwork: false, allowLoopback: false }
const sandbox = { allowPrivateNetwork: false, allowLoopback: true }

describe('checkWebhookUrl', () => {
  it('accepts a public https URL', () => {
    expect(checkWebhookUrl('https://rp.example.com/hook', strict)).toBe('https://rp.example.com/hook')
  })

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]:9000/hook'])('accepts loopback %s only in a sandbox', (url) => {
    expect(() => checkWebhookUrl(url, strict)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
    expect(checkWebhookUrl(url, sandbox)).toBe(new URL(url).href)
  })

  it('accepts plain http only in a sandbox', () => {
    expect(() => checkWebhookUrl('http://rp.example.com/hook', strict)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
    expect(checkWebhookUrl('http://rp.example.com/hook', sandbox)).toBe('http://rp.example.com/hook')
  })

  it('refuses private ranges unless allowed, and metadata always', () => {
    expect(() => checkWebhookUrl('https://10.0.0.1/hook', sandbox)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
    expect(checkWebhookUrl('https://10.0.0.1/hook', { ...strict, allowPrivateNetwork: true })).toBe('https://10.0.0.1/hook')
    expect(() => checkWebhookUrl('https://169.254.169.254/', { allowPrivateNetwork: true, allowLoopback: true })).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
  })

  it('refuses a fragment and an overlong URL', () => {
    expect(() => checkWebhookUrl('https://rp.example.com/hook#x', strict)).toThrow(expect.objectContaining({ issues: ['body.url: must not carry a fragment'] }))
    expect(() => checkWebhookUrl(`https://rp.example.com/${'a'.repeat(2100)}`, strict)).toThrow(expect.objectContaining({ issues: ['body.url: longer than 2048 characters'] }))
  })
})
