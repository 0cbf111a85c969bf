/** Who did it: `admin:<name>`, `agent:<handle>`, `system` (the broker itself). */
export type Actor = string

/** One link of an agent's audit chain. `hash` covers every other field and `prevHash`. */
export interface AuditEvent {
  readonly handle: string
  readonly seq: number
  readonly prevHash: string
  readonly hash: string
  readonly at: Date
  readonly actor: Actor
  readonly action: string
  readonly target: string
  readonly outcome: 'success' | 'failure'
  /** Never holds tokens, keys or secrets: hashes and identifiers only. */
  readonly details: Readonly<Record<string, unknown>>
}

/** What a use case writes; the store seals it into the chain inside its transaction. */
export type AuditDraft = Omit<AuditEvent, 'handle' | 'seq' | 'prevHash' | 'hash'>
