import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'
import { AwsSandboxError, idpRejectedClaim, invalidIdentityToken } from './errors.js'
import { type AwsState, type OidcProvider, awsTime } from './model.js'
import { checkSourceIdentity, checkTags, rejectClaim } from './rules.js'

/**
 * IAM OIDC identity providers and the token checks AssumeRoleWithWebIdentity makes: the token's
 * `iss` names a registered provider, its signature verifies against that provider's JWKS (fetched
 * from its discovery document, refetched when a `kid` is unknown), it has not expired, and its
 * `aud` is one of the provider's client IDs. Session tags and SourceIdentity come from the claims
 * AWS defines for them.
 */

export interface WebIdentity {
  provider: OidcProvider
  audience: string
  subject: string
  sourceIdentity?: string
  tags: { tags: Record<string, string>; transitiveTagKeys: string[] }
}

/** The algorithms AWS accepts for OIDC ID tokens. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512']
const TAGS_CLAIM = 'https://aws.amazon.com/tags'
const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity'
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export async function registerProvider(state: AwsState, input: { url: string; audiences: string[] }): Promise<{ arn: string }> {
  const issuer = input.url.replace(/\/+$/, '')
  if (state.providers.has(issuer)) {
    throw new AwsSandboxError('EntityAlreadyExists', 409, `Provider with url ${issuer} already exists.`)
  }
  if (input.audiences.length === 0) throw new Error('an OIDC provider needs at least one audience (client ID)')
  const discoveryUrl = loopbackUrl(`${issuer}/.well-known/openid-configuration`)
  const response = await fetch(discoveryUrl, { signal: AbortSignal.timeout(5000) })
  if (!response.ok) throw new Error(`OIDC discovery at ${discoveryUrl.href} answered ${response.status}`)
  const discovery = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown }
  if (typeof discovery.issuer !== 'string' || discovery.issuer.replace(/\/+$/, '') !== issuer) {
    throw new Error(`OIDC discovery issuer ${String(discovery.issuer)} does not match ${issuer}`)
  }
  if (typeof discovery.jwks_uri !== 'string') throw new Error('OIDC discovery document has no jwks_uri')
  const keyPrefix = issuer.replace(/^https?:\/\//, '')
  const provider: OidcProvider = {
    issuer,
    arn: `arn:aws:iam::${state.accountId}:oidc-provider/${keyPrefix}`,
    keyPrefix,
    audiences: [...input.audiences],
    // A `kid` the cached set lacks triggers a refetch at once, so tests may rotate keys freely.
    jwks: createRemoteJWKSet(loopbackUrl(discovery.jwks_uri), { cooldownDuration: 0 }),
  }
  state.providers.set(issuer, provider)
  return { arn: provider.arn }
}

export async function verifyWebIdentityToken(state: AwsState, token: string): Promise<WebIdentity> {
  let issuer: unknown
  try {
    issuer = decodeJwt(token).iss
  } catch {
    throw invalidIdentityToken('The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)')
  }
  const provider = typeof issuer === 'string' ? state.providers.get(issuer.replace(/\/+$/, '')) : undefined
  if (!provider) throw invalidIdentityToken(`No OpenIDConnect provider found in your account for ${String(issuer)}`)

  const now = state.now()
  let claims: Record<string, unknown>
  try {
    claims = (await jwtVerify(token, provider.jwks, { algorithms: ALGORITHMS, currentDate: new Date(now) })).payload
  } catch (error) {
    throw translateJoseError(error, now, decodeJwt(token).exp)
  }

  const audiences = typeof claims['aud'] === 'string' ? [claims['aud']] : Array.isArray(claims['aud']) ? claims['aud'] : []
  const audience = audiences.find((a): a is string => typeof a === 'string' && provider.audiences.includes(a))
  if (!audience) throw invalidIdentityToken('Incorrect token audience')
  const subject = claims['sub']
  if (typeof subject !== 'string' || subject.length === 0) throw invalidIdentityToken('The ID token is missing the sub claim')

  const sourceIdentity = claims[SOURCE_IDENTITY_CLAIM]
  if (sourceIdentity !== undefined && typeof sourceIdentity !== 'string') {
    throw idpRejectedClaim(`The ${SOURCE_IDENTITY_CLAIM} claim must be a string`)
  }
  return {
    provider,
    audience,
    subject,
    ...(sourceIdentity === undefined ? {} : { sourceIdentity: checkSourceIdentity(sourceIdentity, rejectClaim) }),
    tags: parseTagsClaim(claims[TAGS_CLAIM]),
  }
}

/**
 * `{"principal_tags": {"k": ["v"]}, "transitive_tag_keys": ["k"]}`: each tag value is a one-element
 * array, as AWS's session-tags-in-OIDC format has it.
 */
function parseTagsClaim(claim: unknown): WebIdentity['tags'] {
  if (claim === undefined) return { tags: {}, transitiveTagKeys: [] }
  const malformed = () => idpRejectedClaim(`The ${TAGS_CLAIM} claim is malformed`)
  if (typeof claim !== 'object' || claim === null) throw malformed()
  const { principal_tags: principalTags, transitive_tag_keys: transitive = [] } = claim as Record<string, unknown>
  if (typeof principalTags !== 'object' || principalTags === null || !Array.isArray(transitive)) throw malformed()
  const tags: Record<string, string> = {}
  for (const [key, value] of Object.entries(principalTags)) {
    if (!Array.isArray(value) || value.length !== 1 || typeof value[0] !== 'string') throw malformed()
    tags[key] = value[0]
  }
  if (transitive.some((k) => typeof k !== 'string')) throw malformed()
  checkTags(tags, transitive as string[], idpRejectedClaim)
  return { tags, transitiveTagKeys: transitive as string[] }
}

function translateJoseError(error: unknown, now: number, exp: number | undefined): AwsSandboxError {
  if (error instanceof joseErrors.JWTExpired) {
    return new AwsSandboxError(
      'ExpiredTokenException',
      400,
      `Token expired: current date/time ${awsTime(now)} must be before the expiration date/time ${awsTime((exp ?? 0) * 1000)}`,
    )
  }
  if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
    return new AwsSandboxError('IDPCommunicationError', 400, 'Couldn\'t retrieve verification key from your identity provider')
  }
  return invalidIdentityToken(`Couldn't verify the ID token: ${error.code}`)
}

/** The stand-in fetches only from this machine: no network beyond loopback. */
function loopbackUrl(href: string): URL {
  const url = new URL(href)
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !LOOPBACK.has(url.hostname)) {
    throw new Error(`the AWS sandbox fetches OIDC metadata from loopback only, not ${url.origin}`)
  }
  return url
}

/**
 * The trust policy an AWS administrator writes for a role agents assume through an OIDC
 * provider: the provider as principal, `aud` and `sub` conditions, and the session-tag and
 * source-identity permissions a broker needs. For tests and the demo.
 */
export function webIdentityTrustPolicy(input: { providerArn: string; subjects: string[]; audience?: string }): object {
  const prefix = input.providerArn.slice(input.providerArn.indexOf(':oidc-provider/') + ':oidc-provider/'.length)
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: input.providerArn },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: {
          StringEquals: { [`${prefix}:aud`]: input.audience ?? 'sts.amazonaws.com' },
          StringLike: { [`${prefix}:sub`]: input.subjects },
        },
      },
    ],
  }
}
