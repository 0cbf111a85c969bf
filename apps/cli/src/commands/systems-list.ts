import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'

interface SystemsWire {
  systems: { name: string; type: string; whois_keys: string[] }[]
}

/** `lanyard systems list`: the systems the broker runs with (GET /v1/systems). */
export function systemsList(systems: Command): void {
  systems
    .command('list')
    .description('list the configured systems, their connector type and the whois keys they answer')
    .action(async (_options: unknown, command: Command) => {
      const listed = await adminApi(command).get<SystemsWire>('/v1/systems')
      emit(command, listed, (l) =>
        formatTable(
          [
            { header: 'name', value: (s) => s.name },
            { header: 'type', value: (s) => s.type },
            { header: 'whois keys', value: (s) => s.whois_keys.join(', ') },
          ],
          l.systems,
          { empty: 'no system is configured (LANYARD_W001)' },
        ),
      )
    })
}
