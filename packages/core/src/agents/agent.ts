/** `revoked` is terminal; `suspended` can be resumed. */
export type AgentStatus = 'active' | 'suspended' | 'revoked'
export type TrustTier = 0 | 1 | 2 | 3

export interface Agent {
  readonly handle: string
  /** The accountable person or team, as an email. */
  readonly owner: string
  readonly status: AgentStatus
  readonly tier: TrustTier
  /**
   * Bumped on suspend, resume, revoke and key removal. Handle tokens carry the generation they
   * were minted under; a token whose `gen` is not the agent's current one exchanges nothing.
   */
  readonly generation: number
  readonly labels: Readonly<Record<string, string>>
  readonly statusReason?: string
  /**
   * A child's parent (#17): the agent that spawned it, whose ceilings bound the child's. Absent
   * for agents an admin created. Set once, at creation.
   */
  readonly parent?: string
  /** A child's end of life: past it the child is revoked like any agent, with a receipt. */
  readonly expiresAt?: Date
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A public key the agent signs its assertions with. `kid` is the RFC 7638 thumbprint. */
export interface AgentKey {
  readonly handle: string
  readonly kid: string
  readonly alg: 'EdDSA' | 'ES256'
  readonly jwk: Readonly<Record<string, string>>
  readonly createdAt: Date
}
