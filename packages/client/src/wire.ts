/**
 * The broker's OAuth wire shapes, as the agent sees them (see the HTTP API notes). Kept here,
 * not imported from the broker: the SDK depends on the wire, not on the broker's code.
 */

/** The part of `/.well-known/openid-configuration` the SDK reads. */
export interface DiscoveryDocument {
  issuer: string
  token_endpoint?: string
  [member: string]: unknown
}

/** RFC 6749 §5.1 answer to the jwt-bearer grant: the handle token. */
export interface HandleTokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  issued_token_type?: string
}

/** AWS's three values, under the `aws_credentials` member of an exchange response. */
export interface AwsCredentialsMember {
  access_key_id: string
  secret_access_key: string
  session_token: string
  /** ISO 8601. */
  expiration: string
}

/** RFC 8693 §2.2.1 answer to the token-exchange grant, with the system's own members. */
export interface TokenExchangeResponse {
  access_token: string
  issued_token_type: string
  token_type: string
  expires_in: number
  scope?: string
  grant_id?: string
  aws_credentials?: AwsCredentialsMember
  [member: string]: unknown
}

/** RFC 6749 §5.2 error body. */
export interface OAuthErrorResponse {
  error: string
  error_description?: string
}

export const GRANT_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const GRANT_TYPE_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
export const SYSTEM_RESOURCE_PREFIX = 'urn:lanyard:system:'
