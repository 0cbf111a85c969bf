import { randomUUID } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import type { BrokerClient } from './broker.js'

export const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const jwtType = 'urn:ietf:params:oauth:token-type:jwt'

export interface TestAgent {
  readonly handle: string
  readonly kid: string
  readonly publicJwk: JWK
  readonly privateKey: CryptoKey
  /** A signed RFC 7523 assertion; override claims or header to forge. */
  assertion(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
  /** Authenticates and returns the handle token. */
  token(): Promise<string>
  /** Exchanges a fresh handle token for `system`; returns the raw response. */
  exchange(system: string, scope?: string, token?: string): Promise<{ status: number; body: any }>
}

let counter = 0
/** A unique handle per call, so tests never collide on a shared store. */
export function uniqueHandle(prefix = 'bot'): string {
  counter += 1
  return `${prefix}-${process.pid}-${counter}-${randomUUID().slice(0, 6)}@agents.test.dev`
}

export async function newKeyPair(alg: 'EdDSA' | 'ES256' = 'EdDSA') {
  const pair = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(pair.publicKey)
  return { ...pair, publicJwk, kid: await calculateJwkThumbprint(publicJwk) }
}

/** Creates an agent through /v1, registers a fresh key, binds the given systems. */
export async function createTestAgent(t: BrokerClient, options: { handle?: string; owner?: string; alg?: 'EdDSA' | 'ES256'; tier?: number; bindings?: Array<{ system: string; target: unknown; ceiling: string[]; min_tier?: number; delegable?: boolean }> } = {}): Promise<TestAgent> {
  const handle = options.handle ?? uniqueHandle()
  const alg = options.alg ?? 'EdDSA'
  const created = await t.admin('POST', '/v1/agents', { handle, owner: options.owner ?? 'owner@acme.dev', ...(options.tier === undefined ? {} : { tier: options.tier }) })
  if (created.status !== 201) throw new Error(`create agent: ${created.status} ${JSON.stringify(created.body)}`)
  const pair = await newKeyPair(alg)
  const added = await t.admin('POST', `/v1/agents/${handle}/keys`, { jwk: pair.publicJwk })
  if (added.status !== 201) throw new Error(`add key: ${added.status} ${JSON.stringify(added.body)}`)
  for (const binding of options.bindings ?? []) {
    const bound = await t.admin('POST', `/v1/agents/${handle}/bindings`, binding)
    if (bound.status !== 201) throw new Error(`bind: ${bound.status} ${JSON.stringify(bound.body)}`)
  }
  const agent: TestAgent = {
    handle,
    kid: pair.kid,
    publicJwk: pair.publicJwk,
    privateKey: pair.privateKey,
    async assertion(claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: handle, sub: handle, aud: t.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg, kid: pair.kid, ...header })
        .sign(pair.privateKey)
    },
    async token() {
      const response = await t.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })
      if (response.status !== 200) throw new Error(`authenticate: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body.access_token as string
    },
    async exchange(system, scope, token) {
      return t.form('/oauth/token', {
        grant_type: tokenExchange,
        subject_token: token ?? (await agent.token()),
        subject_token_type: jwtType,
        resource: `urn:lanyard:system:${system}`,
        ...(scope === undefined ? {} : { scope }),
      })
    },
  }
  return agent
}
