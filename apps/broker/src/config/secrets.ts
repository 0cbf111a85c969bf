import { readFileSync } from 'node:fs'
import { SecretValue } from '@lanyard/core'

export type SecretRef = { env: string } | { file: string }

export function isSecretRef(value: unknown): value is SecretRef {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const keys = Object.keys(value)
  return keys.length === 1 && ((keys[0] === 'env' && typeof (value as { env: unknown }).env === 'string') || (keys[0] === 'file' && typeof (value as { file: unknown }).file === 'string'))
}

/**
 * Resolves `{ env: NAME }` / `{ file: PATH }` into a SecretValue. Problems are reported by
 * path and by the variable or file name, never with any part of the value.
 */
export function resolveSecret(ref: SecretRef, path: string, env: NodeJS.ProcessEnv, issues: string[]): SecretValue | undefined {
  if ('env' in ref) {
    const value = env[ref.env]
    if (value === undefined || value === '') {
      issues.push(`${path}: environment variable ${ref.env} is not set`)
      return undefined
    }
    return new SecretValue(value)
  }
  try {
    return new SecretValue(readFileSync(ref.file, 'utf8').trim())
  } catch (error) {
    issues.push(`${path}: cannot read file ${ref.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    return undefined
  }
}

/** Replaces every secret reference in a connector's config subtree by its SecretValue. */
export function resolveSecretsDeep(value: unknown, path: string, env: NodeJS.ProcessEnv, issues: string[]): unknown {
  if (isSecretRef(value)) return resolveSecret(value, path, env, issues)
  if (Array.isArray(value)) return value.map((item, i) => resolveSecretsDeep(item, `${path}[${i}]`, env, issues))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveSecretsDeep(item, `${path}.${key}`, env, issues)]))
  }
  return value
}
