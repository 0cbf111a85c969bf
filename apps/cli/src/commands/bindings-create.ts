import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { Binding } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { commaList, handlePath, integerIn, scopeList } from '../option-parsers.js'
import { formatTable } from '../output/table.js'
import { bindingColumns } from './agents-show.js'

/** `lanyard bind <handle> <system> --target <json|@file> --ceiling <a,b,c> [--min-tier n]` */
export function bindingsCreate(program: Command): void {
  program
    .command('bind')
    .description("bind an agent to a system: the target and the ceiling of what it may ask for")
    .argument('<handle>')
    .argument('<system>', 'a system name from the broker configuration (GET /v1/systems)')
    .requiredOption('--target <json>', "the connector's target, as JSON or @file.json")
    .requiredOption('--ceiling <scopes>', 'scopes: the most an exchange may get (commas or spaces, or repeat the option)', scopeList)
    .option('--min-tier <n>', 'lowest trust tier that may exchange', integerIn(0, 3))
    .option('--approval-scopes <scopes>', 'scopes (or "all") whose exchange waits for a person (commas or spaces, or repeat the option)', scopeList)
    .option('--approvers <emails>', 'who may approve: "owner" and/or emails, comma-separated (default: owner)', commaList)
    .option('--approval-ttl <seconds>', 'how long a request waits, and an approval lasts (default 900)', integerIn(60, 604_800))
    .option('--approval-below-tier <n>', 'agents below this tier need an approval for every exchange', integerIn(1, 3))
    .action(async (handle: string, system: string, options: BindOptions, command: Command) => {
      const target = await parseTarget(options.target)
      const wantsApproval = options.approvalScopes !== undefined || options.approvalBelowTier !== undefined
      const approval = wantsApproval
        ? {
            scopes: options.approvalScopes === undefined || (options.approvalScopes.length === 1 && options.approvalScopes[0] === 'all') ? 'all' : options.approvalScopes,
            approvers: options.approvers ?? ['owner'],
            ttl_seconds: options.approvalTtl ?? 900,
            ...(options.approvalBelowTier === undefined ? {} : { below_tier: options.approvalBelowTier }),
          }
        : undefined
      const binding = await adminApi(command).post<Binding>(`${handlePath(handle)}/bindings`, { system, target, ceiling: options.ceiling, min_tier: options.minTier, approval })
      emit(command, binding, (b) => `bound ${handle} to ${b.system}\n${formatTable(bindingColumns, [b])}`)
    })
}

interface BindOptions {
  target: string
  ceiling: string[]
  minTier?: number
  approvalScopes?: string[]
  approvers?: string[]
  approvalTtl?: number
  approvalBelowTier?: number
}

async function parseTarget(value: string): Promise<unknown> {
  const text = value.startsWith('@') ? await readFile(value.slice(1), 'utf8') : value
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`--target is not JSON${value.startsWith('@') ? ` (in ${value.slice(1)})` : ''}`)
  }
}
