import type { IncomingMessage } from 'node:http'
import { errors } from 'jose'
import { Refusal } from './challenge.js'

/** Why jose refused a token, in words safe to send (no claim values). */
export function tokenProblem(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token is expired'
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted here`
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) return 'the token is not signed by the authorization server'
  return 'the token is not a valid access token for this resource'
}

/** The tool a JSON-RPC message calls, if it is a `tools/call`. */
export function toolCalled(message: unknown): string | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const { method, params } = message as { method?: unknown; params?: { name?: unknown } }
  if (method !== 'tools/call') return undefined
  return typeof params?.name === 'string' ? params.name : ''
}

/**
 * The request's JSON body: the one a framework parsed before (`req.body`), or read here within
 * `limit` bytes and left at `req.body` for the transport (`handleRequest(req, res, req.body)`).
 */
export async function jsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const holder = req as IncomingMessage & { body?: unknown }
  if (holder.body !== undefined) return holder.body
  if (req.method !== 'POST') return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new Refusal({ status: 400, error: 'invalid_request', description: `the body exceeds ${limit} bytes` })
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  try {
    holder.body = text === '' ? undefined : (JSON.parse(text) as unknown)
  } catch {
    throw new Refusal({ status: 400, error: 'invalid_request', description: 'the body is not JSON' })
  }
  return holder.body
}
