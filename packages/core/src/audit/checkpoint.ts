import { createHash, randomUUID } from 'node:crypto'
import type { AgentChainHead, AuditCheckpoint } from '../ports/store/checkpoints.js'
import type { KeyRing } from '../tokens/key-ring.js'
import { signJwt } from '../tokens/sign-jwt.js'
import { canonicalJson } from './chain.js'

/** JOSE `typ` of a signed audit checkpoint; verifiable against the broker's JWKS. */
export const checkpointType = 'lanyard-audit-checkpoint+jwt'

/**
 * The tree head: SHA-256 (hex) over the canonical JSON of the heads sorted by handle. A flat
 * hash rather than a Merkle root: anyone holding a checkpoint holds every head it covers (it is
 * served and pushed whole), so an inclusion proof adds nothing until checkpoints grow too big
 * to ship whole.
 */
export function checkpointRoot(heads: readonly AgentChainHead[]): string {
  const sorted = [...heads].map(({ handle, seq, hash }) => ({ handle, seq, hash })).sort((a, b) => (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0))
  return createHash('sha256').update(canonicalJson(sorted)).digest('hex')
}

/** Signs a checkpoint over `heads` through the one JWT signer (EdDSA, the broker's current key). */
export async function signCheckpoint(keys: KeyRing, issuer: string, heads: readonly AgentChainHead[], now: Date): Promise<AuditCheckpoint> {
  const id = randomUUID()
  const root = checkpointRoot(heads)
  const token = await signJwt(keys, { alg: 'EdDSA', typ: checkpointType }, { issuer, issuedAt: now, jti: id }, { root, count: heads.length })
  return { id, at: now, root, heads, token }
}

/** The head a checkpoint records for `handle`, after checking the heads hash to its root. */
export function headInCheckpoint(checkpoint: { readonly root: string; readonly heads: readonly AgentChainHead[] }, handle: string): AgentChainHead | undefined {
  if (checkpointRoot(checkpoint.heads) !== checkpoint.root) throw new Error('the checkpoint heads do not hash to its root')
  return checkpoint.heads.find((h) => h.handle === handle)
}
