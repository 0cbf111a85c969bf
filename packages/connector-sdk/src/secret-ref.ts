import { SecretValue } from '@lanyard/core'
import { z } from 'zod'

/**
 * A config field holding a secret. In lanyard.yaml it is written `{ env: NAME }` or
 * `{ file: PATH }`; the broker resolves it into a SecretValue before the connector's schema
 * runs, so the connector only ever sees the redacting wrapper.
 */
export function secret() {
  return z.custom<SecretValue>((value) => value instanceof SecretValue, {
    message: 'expected a secret reference: { env: NAME } or { file: PATH }',
  })
}
