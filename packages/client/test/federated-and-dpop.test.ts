import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, EmbeddedJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { createAgentClient, githubActionsToken, LanyardClientError } from '../src/index.js'

const issuer = 'https://lanyard.acme.dev'

/** A handle token as a broker would answer it (the SDK only decodes `sub`). */
async function handleToken(sub: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA')
  return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject(sub).sign(privateKey)
}

interface Seen {
  url: string
  headers: Record<string, string>
  form: URLSearchParams
}

/** A broker reached at an internal URL that announces its public issuer; asks for a nonce once. */
function stubBroker(options: { nonce?: string } = {}) {
  const seen: Seen[] = []
  let asked = false
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input)
    if (url.endsWith('/.well-known/openid-configuration')) return Response.json({ issuer, token_endpoint: `${issuer}/oauth/token` })
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]))
    seen.push({ url, headers, form: new URLSearchParams(String(init?.body)) })
    if (options.nonce !== undefined && !asked) {
      asked = true
      return Response.json({ error: 'use_dpop_nonce', error_description: 'nonce' }, { status: 400, headers: { 'DPoP-Nonce': options.nonce } })
    }
    return Response.json({ access_token: await handleToken('pod@agents.acme.dev'), token_type: 'DPoP', expires_in: 600 })
  }
  return { seen, fetchImpl }
}

describe('federated sign-in and DPoP', () => {
  it('sends the platform token with client_id, binds with a proof for the announced endpoint, retries once with the nonce', async () => {
    const broker = stubBroker({ nonce: 'n-1' })
    const audiences: string[] = []
    const client = createAgentClient({
      brokerUrl: 'http://lanyard.internal:7420',
      handle: 'pod@agents.acme.dev',
      fetch: broker.fetchImpl,
      federated: ({ audience }) => {
        audiences.push(audience)
        return new TextEncoder().encode('platform.jwt.value\n')
      },
    })
    await client.token()
    expect(audiences).toEqual([issuer])
    expect(broker.seen).toHaveLength(2)
    const [first, second] = broker.seen as [Seen, Seen]
    expect(second.url).toBe('http://lanyard.internal:7420/oauth/token')
    expect(Object.fromEntries(second.form)).toMatchObject({ assertion: 'platform.jwt.value', client_id: 'pod@agents.acme.dev' })
    const header = decodeProtectedHeader(second.headers.dpop!)
    expect(header).toMatchObject({ alg: 'ES256', typ: 'dpop+jwt' })
    expect(header.jwk).not.toHaveProperty('d')
    const { payload } = await jwtVerify(second.headers.dpop!, EmbeddedJWK, { typ: 'dpop+jwt' })
    expect(payload).toMatchObject({ htm: 'POST', htu: `${issuer}/oauth/token`, nonce: 'n-1' })
    expect(decodeJwt(first.headers.dpop!).nonce).toBeUndefined()
    expect(decodeJwt(first.headers.dpop!).jti).not.toBe(payload.jti)
  })

  it('learns the handle from the token when none is given, and proves the same key with ath at exchange', async () => {
    const broker = stubBroker()
    const client = createAgentClient({ brokerUrl: issuer, fetch: broker.fetchImpl, federated: () => 'platform.jwt.value' })
    expect(client.handle).toBe('')
    const token = await client.token()
    expect(client.handle).toBe('pod@agents.acme.dev')
    expect(broker.seen[0]!.form.has('client_id')).toBe(false)
    await client.exchange({ system: 'mem' }).catch(() => undefined)
    const [signIn, exchange] = broker.seen as [Seen, Seen]
    expect(decodeProtectedHeader(exchange.headers.dpop!).jwk).toEqual(decodeProtectedHeader(signIn.headers.dpop!).jwk)
    expect(decodeJwt(exchange.headers.dpop!).ath).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(exchange.form.get('subject_token')).toBe(token)
  })

  it('sends no proof with dpop: false, and refuses a client with both or neither of privateKey and federated', async () => {
    const broker = stubBroker()
    await createAgentClient({ brokerUrl: issuer, fetch: broker.fetchImpl, federated: () => 'x', dpop: false }).token()
    expect(broker.seen[0]!.headers.dpop).toBeUndefined()
    expect(() => createAgentClient({ brokerUrl: issuer })).toThrow(TypeError)
    expect(() => createAgentClient({ brokerUrl: issuer, handle: 'a@b.dev', privateKey: { kty: 'OKP' }, federated: () => 'x' })).toThrow(TypeError)
  })
})

describe('githubActionsToken', () => {
  it('asks the runner token service for the audience, with its bearer', async () => {
    const calls: Array<{ url: URL; authorization: string | undefined }> = []
    const fetchImpl: typeof fetch = async (input, init) => {
      calls.push({ url: new URL(String(input)), authorization: (init?.headers as Record<string, string>).authorization })
      return Response.json({ value: 'gh.oidc.token' })
    }
    const source = githubActionsToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token' }, fetch: fetchImpl })
    await expect(source({ audience: issuer })).resolves.toBe('gh.oidc.token')
    expect(calls[0]!.url.searchParams.get('audience')).toBe(issuer)
    expect(calls[0]!.url.searchParams.get('api-version')).toBe('2.0')
    expect(calls[0]!.authorization).toBe('bearer req-token')
  })

  it('says what is missing outside GitHub Actions, without a request', async () => {
    const source = githubActionsToken({ env: {}, fetch: () => Promise.reject(new Error('no call expected')) })
    const error = await (async () => source({ audience: issuer }))().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanyardClientError)
    expect(String(error)).toMatch(/id-token: write/)
  })
})
