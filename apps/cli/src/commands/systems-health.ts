import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { CliError, exitCodes } from '../cli-error.js'
import { formatTable } from '../output/table.js'

/** GET /v1/systems/health, as the broker answers it. */
export interface SystemsHealthWire {
  ok: boolean
  systems: { name: string; type: string; ok: boolean; detail?: string; ms: number }[]
}

/** The health table: one row per system, its connector's dry connection test. */
export function healthTable(health: SystemsHealthWire): string {
  return formatTable(
    [
      { header: 'system', value: (s) => s.name },
      { header: 'type', value: (s) => s.type },
      { header: 'health', value: (s) => (s.ok ? 'ok' : 'DOWN') },
      { header: 'ms', value: (s) => s.ms },
      { header: 'detail', value: (s) => s.detail },
    ],
    health.systems,
    { empty: 'no system is configured (LANYARD_W001)' },
  )
}

/** Fetches the broker's health of every system at `url`; prints the table; exit 6 if one is down. */
export async function printSystemsHealth(command: Command, url?: string): Promise<void> {
  const health = await adminApi(command, url).get<SystemsHealthWire>('/v1/systems/health')
  emit(command, health, healthTable)
  const down = health.systems.filter((s) => !s.ok).map((s) => s.name)
  if (down.length > 0) throw new CliError(`${down.length} system(s) failed their health check: ${down.join(', ')}`, exitCodes.unavailable, { code: 'system_unhealthy' })
}

/** `lanyard systems health`: a dry connection test of every configured system (connects, mints nothing). */
export function systemsHealth(systems: Command): void {
  systems
    .command('health')
    .description("check each system's upstream connection now (its connector's health check; mints nothing); exit 6 if one is down")
    .action(async (_options: unknown, command: Command) => printSystemsHealth(command))
}
