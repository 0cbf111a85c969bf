import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigInvalid, SecretValue } from '@lanyard/core'

/** Reads a generated secret from the data folder, creating it (mode 0600) on first start. */
function generatedSecret(dataDir: string, name: string, make: () => string): { value: SecretValue; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, name)
  if (existsSync(path)) return { value: new SecretValue(readFileSync(path, 'utf8').trim()), path, created: false }
  writeFileSync(path, `${make()}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return { value: new SecretValue(readFileSync(path, 'utf8').trim()), path, created: true }
}

/** LANYARD_MASTER_KEY: 32 bytes as base64 (44 chars) or hex (64 chars). */
export function decodeMasterKey(secret: SecretValue, source: string): Uint8Array {
  const text = secret.reveal().trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  if (bytes.length !== 32) throw new ConfigInvalid([`${source}: expected 32 bytes as base64 or hex (e.g. \`openssl rand -base64 32\`)`])
  return bytes
}

export function localMasterKey(dataDir: string) {
  return generatedSecret(dataDir, 'master.key', () => randomBytes(32).toString('base64'))
}

export function localAdminToken(dataDir: string) {
  return generatedSecret(dataDir, 'admin-token', () => `lyd_admin_${randomBytes(24).toString('base64url')}`)
}
