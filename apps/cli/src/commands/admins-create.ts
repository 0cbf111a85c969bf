import { InvalidArgumentError, type Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'

/** An admin as /v1/admins answers it (never its token, but on creation). */
export interface AdminWire {
  principal: string
  subject: string
  roles: string[]
  created_at: string
  created_by: string
  expires_at: string | null
  revoked_at: string | null
}

const roles = ['admin', 'responder', 'owner', 'auditor']
const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/** `30d`, `12h`, `90m`, `3600s` -> seconds. */
export function durationSeconds(value: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(value)
  if (!match) throw new InvalidArgumentError('expected a number and a unit, e.g. 30d, 12h, 90m')
  return Number(match[1]) * units[match[2] as keyof typeof units]
}

function role(value: string, previous: string[] = []): string[] {
  if (!roles.includes(value)) throw new InvalidArgumentError(`expected one of ${roles.join(', ')}`)
  return [...previous, value]
}

/**
 * `lanyard admins create <subject> --role r [--role r2] [--expires-in 30d]`: a named admin. Its
 * token is printed once (the broker keeps only its hash): hand it over, then forget it.
 */
export function adminsCreate(admins: Command): void {
  admins
    .command('create')
    .description('create a named admin and print its token, once')
    .argument('<subject>', 'who: an email (compared with agents\' owner for the owner role)')
    .requiredOption('--role <role>', `${roles.join(' | ')} (repeat for several)`, role)
    .option('--expires-in <duration>', 'the token expires after this long (30d, 12h, 90m); default never', durationSeconds)
    .action(async (subject: string, options: { role: string[]; expiresIn?: number }, command: Command) => {
      const created = await adminApi(command).post<AdminWire & { token: string }>('/v1/admins', { subject, roles: options.role, ...(options.expiresIn === undefined ? {} : { expires_in_seconds: options.expiresIn }) })
      emit(command, created, (a) => `created ${a.principal} (${a.roles.join(', ')})${a.expires_at ? `, expires ${a.expires_at}` : ''}\ntoken (shown once, store it now): ${a.token}`)
    })
}
