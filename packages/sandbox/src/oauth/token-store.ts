import { jwtVerify } from 'jose'
import type { CryptoKey, KeyObject } from 'jose'

type Payload = Record<string, unknown>

/**
 * oidc-provider's storage (its `adapter` API), one per sandbox, in memory. What it adds to the
 * provider's own memory adapter: a JWT access token the server chose to remember (`remember`)
 * is found by its value, as Okta and Keycloak find theirs, so introspection answers for it and
 * RFC 7009 revocation destroys it. A JWT is looked up only once its signature verifies with the
 * server's key: a forged token naming a remembered `jti` finds nothing.
 */
export interface TokenStore {
  /** The constructor handed to oidc-provider as `adapter`. */
  readonly Adapter: new (model: string) => unknown
  /** Stores a JWT access token's payload under its `jti`, until it expires. */
  remember(model: string, jti: string, payload: Payload, expiresInSeconds: number): void
}

export function createTokenStore(options: { issuer: () => string; publicKey: CryptoKey | KeyObject; now?: () => number }): TokenStore {
  const now = options.now ?? Date.now
  const entries = new Map<string, { payload: Payload; expiresAtMs: number }>()
  const byUid = new Map<string, string>()
  const byUserCode = new Map<string, string>()

  const read = (key: string): Payload | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAtMs <= now()) {
      entries.delete(key)
      return undefined
    }
    return entry.payload
  }
  const write = (key: string, payload: Payload, expiresInSeconds: number) =>
    void entries.set(key, { payload, expiresAtMs: now() + Math.max(1, expiresInSeconds) * 1000 })

  class Adapter {
    readonly #model: string
    constructor(model: string) {
      this.#model = model
    }
    #key(id: string): string {
      return `${this.#model}:${id}`
    }
    async upsert(id: string, payload: Payload, expiresInSeconds: number): Promise<void> {
      write(this.#key(id), payload, expiresInSeconds)
      if (typeof payload['uid'] === 'string') byUid.set(payload['uid'], id)
      if (typeof payload['userCode'] === 'string') byUserCode.set(payload['userCode'], id)
    }
    async find(id: string): Promise<Payload | undefined> {
      // A JWT value: its remembered payload, by jti, once the signature is the server's.
      if (id.split('.').length === 3) {
        try {
          const { payload } = await jwtVerify(id, options.publicKey, { issuer: options.issuer(), typ: 'at+jwt' })
          return typeof payload.jti === 'string' ? read(this.#key(payload.jti)) : undefined
        } catch {
          return undefined
        }
      }
      return read(this.#key(id))
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = byUid.get(uid)
      return id === undefined ? undefined : read(this.#key(id))
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = byUserCode.get(userCode)
      return id === undefined ? undefined : read(this.#key(id))
    }
    async consume(id: string): Promise<void> {
      const payload = read(this.#key(id))
      if (payload) payload['consumed'] = Math.floor(now() / 1000)
    }
    async destroy(id: string): Promise<void> {
      entries.delete(this.#key(id))
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of entries) if (entry.payload['grantId'] === grantId) entries.delete(key)
    }
  }

  return {
    Adapter,
    remember: (model, jti, payload, expiresInSeconds) => write(`${model}:${jti}`, payload, expiresInSeconds),
  }
}
