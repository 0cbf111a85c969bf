import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createResourceServer } from './resource-server.js'
import type { ResourceServer } from './types.js'

/** A resource server whose broker cannot be reached at all: it must refuse, never accept. */
let origin: string
let guard: ResourceServer
const server = createServer((req, res) => {
  void guard.handle(req, res).then((auth) => {
    if (auth !== undefined) res.end('accepted')
  })
})

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  guard = createResourceServer({
    resource: `${origin}/mcp`,
    authorizationServer: 'http://127.0.0.1:9/broker',
    brokerCredential: 'rs-credential',
    tools: { 'tickets.list': 'tickets:read', 'tickets.close': ['tickets:write'] },
    resourceName: 'Tickets',
    reconnectDelayMs: 50,
  })
})
afterAll(async () => {
  await guard.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const post = (headers: Record<string, string>, body = '{"jsonrpc":"2.0","id":1,"method":"ping"}') => fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

describe('resource server', () => {
  test('serves RFC 9728 metadata at the path-aware and the root address, naming the broker', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const response = await fetch(`${origin}${path}`)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        resource: `${origin}/mcp`,
        authorization_servers: ['http://127.0.0.1:9/broker'],
        scopes_supported: ['tickets:read', 'tickets:write'],
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'],
        resource_name: 'Tickets',
      })
    }
    expect(guard.metadataUrl).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`)
  })

  test('no token: 401 naming the metadata and no error (RFC 6750 3.1)', async () => {
    const response = await post({})
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${guard.metadataUrl}"`)
  })

  test('a malformed Authorization header: 401 invalid_request', async () => {
    const response = await post({ authorization: 'Basic dXNlcjpwYXNz' })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/)
  })

  test('fail closed: a well-formed token while the broker is unreachable is 503, never accepted', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({ scope: 'tickets:read' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer('http://127.0.0.1:9/broker').setAudience(`${origin}/mcp`).setSubject('bot@agents.test').setJti('j').setIssuedAt().setExpirationTime('5m').sign(privateKey)
    const response = await post({ authorization: `Bearer ${token}` })
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached' })
    expect(guard.streamHealthy()).toBe(false)
  })

  test('a resource with a fragment is refused at creation', () => {
    expect(() => createResourceServer({ resource: 'https://x.test/mcp#a', authorizationServer: 'https://b.test', brokerCredential: 'c', tools: {} })).toThrow(/no fragment/)
  })
})
