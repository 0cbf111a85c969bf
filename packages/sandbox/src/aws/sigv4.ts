import { createHash, timingSafeEqual } from 'node:crypto'
import { Sha256 } from '@aws-crypto/sha256-js'
import { SignatureV4 } from '@smithy/signature-v4'
import { AwsSandboxError, signatureDoesNotMatch } from './errors.js'

/**
 * Signature Version 4 checks for the query protocol: the stand-in recomputes the signature with
 * the secret it holds (through @smithy/signature-v4, the signer the AWS SDK itself uses) and
 * compares, so a wrong secret, a changed body or a changed signed header is refused.
 */

export interface IncomingSignedRequest {
  method: string
  path: string
  query: Record<string, string | string[]>
  /** Lower-case names, as Node delivers them. */
  headers: Record<string, string>
  body: string
}

export interface Authorization {
  accessKeyId: string
  shortDate: string
  region: string
  service: string
  signedHeaders: string[]
  signature: string
}

const ALGORITHM = 'AWS4-HMAC-SHA256'
/** AWS refuses a signature whose time is more than 15 minutes away from its own clock. */
const MAX_SKEW_MS = 15 * 60 * 1000

/** Reads the Authorization header; `undefined` when the request is not signed at all. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (header === undefined) return undefined
  const incomplete = (what: string) =>
    new AwsSandboxError('IncompleteSignature', 400, `Authorization header requires '${what}' parameter.`)
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw new AwsSandboxError('IncompleteSignature', 400, `Unsupported AWS 'algorithm': '${header.split(' ')[0] ?? ''}'`)
  }
  const fields = new Map<string, string>()
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const [name, ...rest] = part.trim().split('=')
    if (name) fields.set(name, rest.join('='))
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (!credential) throw incomplete('Credential')
  if (!signedHeaders) throw incomplete('SignedHeaders')
  if (!signature) throw incomplete('Signature')
  const [accessKeyId, shortDate, region, service, terminator] = credential.split('/')
  if (!accessKeyId || !shortDate || !region || !service || terminator !== 'aws4_request') {
    throw new AwsSandboxError('IncompleteSignature', 400, 'Credential is not a valid credential scope.')
  }
  return { accessKeyId, shortDate, region, service, signedHeaders: signedHeaders.split(';'), signature }
}

/**
 * Throws SignatureDoesNotMatch unless `auth.signature` is what `secretAccessKey` produces for this
 * request, scoped to `region`/`service` and signed within 15 minutes of `nowMs`.
 */
export async function verifySignature(
  request: IncomingSignedRequest,
  auth: Authorization,
  secretAccessKey: string,
  expected: { region: string; service: string; nowMs: number },
): Promise<void> {
  if (auth.region !== expected.region) {
    throw signatureDoesNotMatch(`Credential should be scoped to a valid region. `)
  }
  if (auth.service !== expected.service) {
    throw signatureDoesNotMatch(`Credential should be scoped to correct service: '${expected.service}'. `)
  }
  const amzDate = request.headers['x-amz-date']
  const signingMs = amzDate === undefined ? Number.NaN : parseAmzDate(amzDate)
  if (Number.isNaN(signingMs) || !auth.signedHeaders.includes('host') || amzDate?.slice(0, 8) !== auth.shortDate) {
    throw signatureDoesNotMatch('The request signature we calculated does not match the signature you provided.')
  }
  if (Math.abs(signingMs - expected.nowMs) > MAX_SKEW_MS) {
    const now = formatAmzDate(expected.nowMs)
    throw signatureDoesNotMatch(
      signingMs < expected.nowMs
        ? `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(expected.nowMs - MAX_SKEW_MS)} (${now} - 15 min.)`
        : `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(expected.nowMs + MAX_SKEW_MS)} (${now} + 15 min.)`,
    )
  }
  // The signer trusts x-amz-content-sha256 as the payload hash, so it has to be checked here.
  const declaredHash = request.headers['x-amz-content-sha256']
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(request.body).digest('hex')) {
    throw signatureDoesNotMatch('The request signature we calculated does not match the signature you provided.')
  }

  const headers: Record<string, string> = {}
  for (const name of auth.signedHeaders) {
    const value = request.headers[name]
    if (value !== undefined) headers[name] = value
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
  })
  const signed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: headers['host'] ?? '', path: request.path, query: request.query, headers, body: request.body },
    { signingDate: new Date(signingMs), signableHeaders: new Set(auth.signedHeaders) },
  )
  const recomputed = /Signature=([0-9a-f]+)/.exec(String(signed.headers['authorization']))?.[1] ?? ''
  if (!equalStrings(recomputed, auth.signature)) {
    throw signatureDoesNotMatch(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    )
  }
}

/** Constant-time comparison for secrets and signatures. */
export function equalStrings(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN
}

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
}
