import type { Command } from 'commander'
import { Option } from 'commander'
import type { SigningKey } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'

/**
 * `lanyard keys rotate-signing [--alg EdDSA|RS256|ES256]`: a new broker signing key for that
 * algorithm. The old one stops signing at once but stays in the JWKS as long as anything it
 * signed can still be valid, so handle tokens in flight keep verifying.
 */
export function keysRotateSigning(keys: Command): void {
  keys
    .command('rotate-signing')
    .description("rotate the broker's own signing key (handle tokens, receipts); the old key stays published while its tokens live")
    .addOption(new Option('--alg <alg>', 'which of the broker keys').choices(['EdDSA', 'RS256', 'ES256']).default('EdDSA'))
    .action(async (options: { alg: string }, command: Command) => {
      const key = await adminApi(command).post<SigningKey>('/v1/signing-keys/rotate', { alg: options.alg })
      emit(command, key, (k) => `rotated the broker's ${k.alg} signing key: new key ${k.kid}; the previous one no longer signs and stays in the JWKS until what it signed has expired\n`)
    })
}
