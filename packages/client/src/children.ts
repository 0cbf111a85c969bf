import type { JWK } from 'jose'
import { requestJson } from './broker-http.js'
import { isRecord, LanyardClientError } from './errors.js'

/** What a parent asks for its child (#17). Ceilings only narrow the parent's delegable bindings. */
export interface SpawnChildRequest {
  /** The child's name: its handle becomes `<name>.<parent local>@<parent domain>`. */
  name: string
  /** Per system, the scopes the child may ever hold, e.g. `{ memory: ['read'] }`. */
  ceilings: Record<string, string[]>
  /** The child is revoked (with a receipt) this long after it is spawned. */
  ttlSeconds?: number
  labels?: Record<string, string>
  /** The child's public key; absent, the broker makes a key pair and returns the private half once. */
  publicJwk?: JWK
}

export interface SpawnedChild {
  /** The child's handle, e.g. `worker-1.deploy-bot@agents.acme.dev`. */
  handle: string
  /** Only when the broker made the key: keep it, it is not shown again. Pass it to createAgentClient. */
  privateJwk?: JWK
  /** The broker's answer: the agent, its bindings and key id. */
  agent: Record<string, unknown>
}

/**
 * POST /v1/agents/{parent}/children with the parent's handle token as bearer. The token is a
 * bearer one minted for this call (the route takes no DPoP proof), sent to the broker only.
 */
export async function postChild(fetchImpl: typeof fetch, base: string, parent: string, bearer: string, request: SpawnChildRequest): Promise<SpawnedChild> {
  const url = new URL(`${base}/v1/agents/${encodeURIComponent(parent)}/children`)
  const body = await requestJson(fetchImpl, url, { json: request, headers: { authorization: `Bearer ${bearer}` } })
  const { private_jwk: privateJwk, ...agent } = body
  if (typeof agent.handle !== 'string') throw new LanyardClientError('invalid_response', { description: 'the children endpoint answered without a handle' })
  return { handle: agent.handle, agent, ...(isRecord(privateJwk) ? { privateJwk: privateJwk as JWK } : {}) }
}
