import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { formatTable } from '../output/table.js'
import { trustColumns, type TrustRuleWire } from './trust-add.js'

/** `lanyard trust list <handle>` */
export function trustList(trust: Command): void {
  trust
    .command('list')
    .description("list an agent's trust rules")
    .argument('<handle>')
    .action(async (handle: string, _options: unknown, command: Command) => {
      const { rules } = await adminApi(command).get<{ rules: TrustRuleWire[] }>(`${handlePath(handle)}/trust`)
      emit(command, { rules }, (r) => formatTable(trustColumns, r.rules, { empty: `${handle} has no trust rules` }))
    })
}
