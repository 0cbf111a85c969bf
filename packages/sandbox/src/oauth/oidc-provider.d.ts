// oidc-provider 8.x ships JavaScript only (its types live in DefinitelyTyped, not installed here).
// This declares the small surface the stand-in uses, so a wrong option name fails type-check.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface ProviderClient {
    readonly clientId: string
    readonly clientAuthMethod: string
  }
  export interface ProviderToken {
    readonly clientId: string
    readonly jti: string
    readonly kind: string
  }
  export interface StoredToken extends ProviderToken {
    readonly isValid: boolean
    readonly exp: number
    readonly scope?: string
    readonly aud?: string | string[]
    readonly jkt?: string
  }
  export interface ResourceServerInfo {
    scope: string
    audience?: string
    accessTokenTTL?: number
    accessTokenFormat?: 'opaque' | 'jwt'
    jwt?: { sign?: { alg?: string } }
  }
  export interface Configuration {
    clients?: Array<Record<string, unknown>>
    scopes?: string[]
    jwks?: { keys: Array<Record<string, unknown>> }
    features?: Record<string, Record<string, unknown>>
    ttl?: Record<string, number | ((ctx: unknown, token: { resourceServer?: ResourceServerInfo }, client: ProviderClient) => number)>
    clientDefaults?: Record<string, unknown>
    [key: string]: unknown
  }
  export const errors: {
    InvalidTarget: new (description?: string) => Error
  }
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    readonly issuer: string
    readonly ClientCredentials: { find(value: string): Promise<StoredToken | undefined> }
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: never[]) => void): this
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<unknown>
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>
    readonly Grant: new (properties: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> }
  }
}
