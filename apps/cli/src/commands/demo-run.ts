import type { Command } from 'commander'
import { CliError } from '../cli-error.js'

/** `lanyard demo`: the quickstart against the sandbox upstreams. */
export function demoRun(program: Command): void {
  program
    .command('demo')
    .description('run the quickstart against local stand-ins for GitHub, AWS and an OAuth server')
    .action(() => {
      throw new CliError('`lanyard demo` is not implemented yet; follow the quickstart in README.md with `lanyard serve`')
    })
}
