import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

/** How the stand-in answers for its keys: normally, with 503, or never (the caller must time out). */
export type IssuerFault = 'none' | 'error' | 'hang'

/**
 * A local OIDC issuer that signs like one platform: discovery at
 * `<url>/.well-known/openid-configuration`, keys at its `jwks_uri`, tokens signed with the
 * platform's algorithm and header. It checks nothing the broker should check: it signs
 * whatever claims it is asked to.
 */
export interface PlatformIssuer {
  /** Where the stand-in listens (`http://127.0.0.1:<port>`). */
  readonly url: string
  /** The `iss` its tokens carry: `url`, unless the platform's real issuer was asked for. */
  readonly issuer: string
  readonly jwksUri: string
  readonly alg: string
  /** Signs `claims` (plus `iss`, `iat`, `jti` unless given) with the current key. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
  /** A new signing key; the old one stays published unless `retire`. */
  rotate(options?: { retire?: boolean }): Promise<void>
  /** Discovery and JWKS requests answered so far. */
  readonly keyRequests: number
  setFault(fault: IssuerFault): void
  close(): Promise<void>
}

export interface PlatformIssuerOptions {
  readonly alg: 'RS256' | 'ES256'
  /** `iss` of its tokens and discovery; defaults to the listening URL. */
  readonly issuer?: string
  /** Path of the JWKS (`/.well-known/jwks` for GitHub, `/openid/v1/jwks` for Kubernetes, `/keys` for SPIRE). */
  readonly jwksPath: string
  /** Extra routes (GitHub's token request endpoint). Return true when handled. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>
}

interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

async function newKey(alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const pair = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(pair.publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { kid, privateKey: pair.privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}

export async function startPlatformIssuer(options: PlatformIssuerOptions): Promise<PlatformIssuer> {
  let keys = [await newKey(options.alg)]
  let fault: IssuerFault = 'none'
  let keyRequests = 0
  const hanging = new Set<ServerResponse>()
  let url = ''
  const issuer = () => options.issuer ?? url

  const server = createServer((req, res) => {
    void (async () => {
      const requestUrl = new URL(req.url ?? '/', url)
      const isKeys = requestUrl.pathname === '/.well-known/openid-configuration' || requestUrl.pathname === options.jwksPath
      if (isKeys) {
        keyRequests += 1
        if (fault === 'error') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable')
        if (fault === 'hang') return void hanging.add(res)
      }
      if (requestUrl.pathname === '/.well-known/openid-configuration') {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ issuer: issuer(), jwks_uri: `${url}${options.jwksPath}`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: [options.alg] }),
        )
      }
      if (requestUrl.pathname === options.jwksPath) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }))
      }
      if (options.routes && (await options.routes(req, res, requestUrl))) return
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}')
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    get issuer() {
      return issuer()
    },
    jwksUri: `${url}${options.jwksPath}`,
    alg: options.alg,
    async sign(claims, header = {}) {
      const key = keys[keys.length - 1]!
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: issuer(), iat: now, jti: randomUUID(), ...claims }).setProtectedHeader({ alg: options.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
    },
    async rotate(rotation = {}) {
      const next = await newKey(options.alg)
      keys = rotation.retire ? [next] : [...keys, next]
    },
    get keyRequests() {
      return keyRequests
    },
    setFault(next) {
      fault = next
      if (next !== 'hang') for (const res of hanging) res.destroy()
      if (next !== 'hang') hanging.clear()
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * A platform's stand-in: `base` with the platform's own members (`token`, `svid`) added. Every
 * PlatformIssuer member delegates to `base`; `issuer` and `keyRequests` are read live, since
 * both change after start.
 */
export function extendPlatformIssuer<I extends PlatformIssuer>(base: PlatformIssuer, members: Omit<I, keyof PlatformIssuer>): I {
  const shared: PlatformIssuer = {
    url: base.url,
    jwksUri: base.jwksUri,
    alg: base.alg,
    get issuer() {
      return base.issuer
    },
    get keyRequests() {
      return base.keyRequests
    },
    sign: base.sign,
    rotate: base.rotate,
    setFault: base.setFault,
    close: base.close,
  }
  return Object.defineProperties(shared, Object.getOwnPropertyDescriptors(members)) as I
}
