import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'
import { formatTable } from '../output/table.js'

/** A trust rule as `/v1/agents/{handle}/trust` answers it. */
export interface TrustRuleWire {
  id: string
  handle: string
  issuer: string
  audience: string
  subject: string
  claims: Record<string, unknown>
  shape?: string
  created_at: string
}

export const trustColumns = [
  { header: 'id', value: (r: TrustRuleWire) => r.id },
  { header: 'issuer', value: (r: TrustRuleWire) => r.issuer },
  { header: 'audience', value: (r: TrustRuleWire) => r.audience },
  { header: 'subject', value: (r: TrustRuleWire) => r.subject },
  { header: 'claims', value: (r: TrustRuleWire) => (Object.keys(r.claims).length === 0 ? '' : JSON.stringify(r.claims)) },
  { header: 'shape', value: (r: TrustRuleWire) => r.shape },
]

/** `lanyard trust add <handle> --issuer I --audience A --subject S [--claims json] [--shape s]` */
export function trustAdd(trust: Command): void {
  trust
    .command('add')
    .description('let platform tokens of a configured issuer sign in as the agent')
    .argument('<handle>')
    .requiredOption('--issuer <iss>', 'the exact `iss` of an issuer listed under federation.issuers')
    .requiredOption('--audience <aud>', 'the `aud` the platform token must carry')
    .requiredOption('--subject <pattern>', 'the `sub`, exact or a glob (`*` within a `/`- or `:`-separated segment, `**` across)')
    .option('--claims <json>', 'conditions on other claims, e.g. {"repository_owner":"acme"}')
    .option('--shape <shape>', 'github-actions | kubernetes | spiffe: checks the rule and the token the way the platform shapes them')
    .action(async (handle: string, options: { issuer: string; audience: string; subject: string; claims?: string; shape?: string }, command: Command) => {
      let claims: unknown
      if (options.claims !== undefined) {
        try {
          claims = JSON.parse(options.claims)
        } catch {
          throw new UsageError('--claims is not JSON')
        }
      }
      const rule = await adminApi(command).post<TrustRuleWire>(`${handlePath(handle)}/trust`, {
        issuer: options.issuer,
        audience: options.audience,
        subject: options.subject,
        ...(claims === undefined ? {} : { claims }),
        ...(options.shape === undefined ? {} : { shape: options.shape }),
      })
      emit(command, rule, (r) => `trust rule added to ${handle}\n${formatTable(trustColumns, [r])}`)
    })
}
