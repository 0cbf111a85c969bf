import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'

interface SigningKeyWire {
  kid: string
  alg: string
  kty: string
  crv?: string
  published: boolean
}

/** `lanyard keys list`: the broker's signing keys (GET /v1/signing-keys), public halves only. */
export function keysList(keys: Command): void {
  keys
    .command('list')
    .description("list the broker's signing keys: published ones are in the JWKS now; the others still verify old receipts")
    .action(async (_options: unknown, command: Command) => {
      const listed = await adminApi(command).get<{ keys: SigningKeyWire[] }>('/v1/signing-keys')
      emit(command, listed, (l) =>
        formatTable(
          [
            { header: 'kid', value: (k) => k.kid },
            { header: 'alg', value: (k) => k.alg },
            { header: 'key', value: (k) => [k.kty, k.crv].filter(Boolean).join(' ') },
            { header: 'published', value: (k) => (k.published ? 'yes' : 'no (receipts only)') },
          ],
          l.keys,
          { empty: 'no signing keys yet' },
        ),
      )
    })
}
