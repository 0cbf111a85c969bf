import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'
import type { AdminWire } from './admins-create.js'

const columns = [
  { header: 'subject', value: (a: AdminWire) => a.subject },
  { header: 'roles', value: (a: AdminWire) => a.roles.join(',') },
  { header: 'created', value: (a: AdminWire) => a.created_at },
  { header: 'expires', value: (a: AdminWire) => a.expires_at ?? '-' },
  { header: 'revoked', value: (a: AdminWire) => a.revoked_at ?? '-' },
]

/** `lanyard admins list`: every named admin, and whether the bootstrap token is retired. */
export function adminsList(admins: Command): void {
  admins
    .command('list')
    .description('list named admins')
    .action(async (_options: unknown, command: Command) => {
      const listed = await adminApi(command).get<{ admins: AdminWire[]; bootstrap_retired: boolean }>('/v1/admins')
      emit(command, listed, (l) => `${formatTable(columns, l.admins, { empty: 'no named admins yet' })}bootstrap token: ${l.bootstrap_retired ? 'retired' : 'active (retire it: lanyard admins retire-bootstrap)'}`)
    })
}
