import type { Command } from 'commander'
import { globalOptions } from '../cli-context.js'
import { CliError, exitCodes } from '../cli-error.js'
import { formatJson } from '../output/json.js'
import { printSystemsHealth } from './systems-health.js'

/**
 * `lanyard config check [--config F] [--broker URL]`: validates a configuration as `lanyard serve`
 * would, without starting anything, and lists every error at once (exit 3 if any). With
 * `--broker`, also asks that running broker for each system's health (GET /v1/systems/health)
 * and prints the table (exit 6 if one is down).
 */
export function configCheck(config: Command): void {
  config
    .command('check')
    .description('validate lanyard.yaml without starting a broker: every error at once (exit 3); with --broker, each system\'s health too')
    .option('--config <path>', 'the file (default: LANYARD_CONFIG, or ./lanyard.yaml)')
    .option('--broker <url>', "also check each system's health on this running broker (with the admin token, as --token)")
    .action(async (options: { config?: string; broker?: string }, command: Command) => {
      // The broker's own checks, loaded only here: they pull in every connector.
      const { checkConfiguration } = await import('@lanyard/broker')
      const checked = await checkConfiguration({ ...(options.config === undefined ? {} : { path: options.config }), env: process.env })
      const source = checked.source ?? 'no file (the defaults)'
      if (globalOptions(command).json) process.stdout.write(formatJson({ source: checked.source ?? null, ok: checked.issues.length === 0, issues: checked.issues, warnings: checked.warnings, systems: checked.systems }))
      else {
        const lines = checked.issues.length === 0 ? [`configuration OK: ${source}, ${checked.systems.length} system(s)${checked.systems.length > 0 ? `: ${checked.systems.map((s) => `${s.name} (${s.type})`).join(', ')}` : ''}`] : [`${source}: ${checked.issues.length} error(s):`, ...checked.issues.map((issue) => `  - ${issue}`)]
        for (const warning of checked.warnings) lines.push(`warning ${warning.code}: ${warning.message}`)
        process.stdout.write(`${lines.join('\n')}\n`)
      }
      if (checked.issues.length > 0) throw new CliError(`the configuration has ${checked.issues.length} error(s)`, exitCodes.config, { code: 'config_invalid' })
      if (options.broker !== undefined) await printSystemsHealth(command, options.broker)
    })
}
