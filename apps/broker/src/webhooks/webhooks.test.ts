import { describe, expect, it } from 'vitest'
import { checkWebhookUrl } from './webhooks.js'

describe('checkWebhookUrl', () => {
  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]:9000/hook', 'https://rp.example.com/hook'])('accepts %s outside a sandbox', (url) => {
    expect(checkWebhookUrl(url, false)).toBe(new URL(url).href)
  })

  it('accepts plain http anywhere only in a sandbox', () => {
    expect(() => checkWebhookUrl('http://rp.internal/hook', false)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
    expect(checkWebhookUrl('http://rp.internal/hook', true)).toBe('http://rp.internal/hook')
    expect(() => checkWebhookUrl('http://127.0.0.1.evil.example/hook', false)).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_INVALID' }))
  })

  it('refuses a fragment and an overlong URL', () => {
    expect(() => checkWebhookUrl('https://rp.example.com/hook#x', false)).toThrow(expect.objectContaining({ issues: ['body.url: must not carry a fragment'] }))
    expect(() => checkWebhookUrl(`https://rp.example.com/${'a'.repeat(2100)}`, false)).toThrow(expect.objectContaining({ issues: ['body.url: longer than 2048 characters'] }))
  })
})
