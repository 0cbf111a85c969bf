import { isSecretValue } from '@lanyard/core'
import type { ExchangeCredential } from '@lanyard/core'

/** A secret the kit watches for, labelled so a failure can say which one leaked without printing it. */
export interface WatchedSecret {
  readonly label: string
  readonly value: string
}

/** Shorter fragments than this are not reported: 8 characters of a random token are ~48 bits. */
export const leakFragmentLength = 8

// An ISO-8601 instant in `extra` (AWS Expiration) is no secret, and ref may well hold the expiry.
const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

function collectStrings(value: unknown, path: string, out: WatchedSecret[], seen: Set<unknown>): void {
  if (typeof value === 'string') {
    out.push({ label: path, value })
    return
  }
  if (isSecretValue(value)) {
    out.push({ label: path, value: value.reveal() })
    return
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return
  seen.add(value)
  for (const [key, member] of Object.entries(value)) collectStrings(member, `${path}.${key}`, out, seen)
}

/** The access token, every string under `extra` (minus timestamps and declared public parts) and the revocation secret. */
export function credentialSecrets(credential: ExchangeCredential, options: { revocationSecret?: string; publicParts?: readonly string[]; label?: string } = {}): WatchedSecret[] {
  const label = options.label ?? 'credential'
  const extra: WatchedSecret[] = []
  collectStrings(credential.extra, `${label}.extra`, extra, new Set())
  const publicParts = new Set(options.publicParts ?? [])
  const secrets = [{ label: `${label}.accessToken`, value: credential.accessToken }, ...extra.filter((s) => !publicParts.has(s.value) && !isoInstant.test(s.value))]
  if (options.revocationSecret !== undefined) secrets.push({ label: `${label} revocationSecret`, value: options.revocationSecret })
  return secrets.filter((s) => s.value.length >= leakFragmentLength)
}

/** Every SecretValue in a config (as the broker resolved it), by path. */
export function configSecrets(config: unknown, label = 'config'): WatchedSecret[] {
  const out: WatchedSecret[] = []
  const visit = (value: unknown, path: string, seen: Set<unknown>): void => {
    if (isSecretValue(value)) {
      out.push({ label: path, value: value.reveal() })
      return
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) return
    seen.add(value)
    for (const [key, member] of Object.entries(value)) visit(member, `${path}.${key}`, seen)
  }
  visit(config, label, new Set())
  return out.filter((s) => s.value.length >= leakFragmentLength)
}

/**
 * The first secret with a fragment of `leakFragmentLength` characters inside `text`, described
 * by label and offset only (the failure message must not print the secret either).
 */
export function findLeak(text: string, secrets: readonly WatchedSecret[]): string | undefined {
  for (const secret of secrets) {
    for (let offset = 0; offset + leakFragmentLength <= secret.value.length; offset++) {
      if (text.includes(secret.value.slice(offset, offset + leakFragmentLength))) {
        return `${leakFragmentLength} characters of ${secret.label} (from offset ${offset})`
      }
    }
  }
  return undefined
}
