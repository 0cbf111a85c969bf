import { rm } from 'node:fs/promises'
import type { Command } from 'commander'
import type { AgentDetails, AgentKey, KeyRemoved } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'
import { generateTo } from './keys-add.js'

/**
 * `lanyard keys rotate <handle> --generate --out <private.jwk> [--replace <kid>]`: registers a
 * new key generated here (private half written locally, mode 0600), then removes the old one
 * (`--replace`, or every other key the agent has). The removal moves the agent's generation:
 * handle tokens obtained before stop exchanging, so the agent authenticates again with the new key.
 */
export function keysRotate(keys: Command): void {
  keys
    .command('rotate')
    .description("replace an agent's key: register a new one generated here, remove the old")
    .argument('<handle>')
    .option('--generate', 'generate the new Ed25519 key pair here (required)')
    .option('--out <path>', 'where to write the new private JWK (mode 0600)')
    .option('--replace <kid>', 'the key to remove (default: every other key of the agent)')
    .action(async (handle: string, options: { generate?: boolean; out?: string; replace?: string }, command: Command) => {
      if (!options.generate || !options.out) throw new UsageError('keys rotate needs --generate --out <private.jwk>')
      const api = adminApi(command)
      const before = await api.get<AgentDetails>(handlePath(handle))
      const old = (before.keys ?? []).map((k) => k.kid).filter((kid) => options.replace === undefined || kid === options.replace)
      if (options.replace !== undefined && old.length === 0) throw new UsageError(`${handle} has no key ${options.replace}`)
      const out = options.out
      const { publicJwk } = await generateTo(out)
      let added: AgentKey
      try {
        added = await api.post<AgentKey>(`${handlePath(handle)}/keys`, { jwk: publicJwk })
      } catch (err) {
        await rm(out, { force: true })
        throw err
      }
      const removed: KeyRemoved[] = []
      for (const kid of old) if (kid !== added.kid) removed.push(await api.delete<KeyRemoved>(`${handlePath(handle)}/keys/${encodeURIComponent(kid)}`))
      const generation = removed.at(-1)?.agent.generation ?? before.generation
      emit(command, { added: { ...added, private_key_file: out }, removed: removed.map((r) => r.removed), generation }, (r) =>
        [
          `registered key ${r.added.kid} (${r.added.alg}) for ${handle}`,
          `private key written to ${out} (mode 0600): keep it with the agent`,
          ...r.removed.map((kid) => `removed key ${kid}`),
          `generation ${r.generation}: handle tokens obtained before no longer exchange`,
          '',
        ].join('\n'),
      )
    })
}
