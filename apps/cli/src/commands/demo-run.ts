import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { CliError } from '../cli-error.js'

/**
 * `lanyard demo [--keep]`: the quickstart against local stand-ins for GitHub and an OAuth
 * server, in a throwaway data folder. Exit 1 if any step did not behave as shown.
 */
export function demoRun(program: Command): void {
  program
    .command('demo')
    .description('run the quickstart against local stand-ins for GitHub and an OAuth server')
    .option('--keep', 'keep the broker and stand-ins running afterwards, until Ctrl-C')
    .action(async (options: { keep?: boolean }) => {
      // Imported here: the stand-ins (oidc-provider, the AWS and GitHub servers) and the broker
      // would otherwise load on every `lanyard` invocation.
      const [{ runDemoScenario }, { startDemoWorld }] = await Promise.all([import('../demo/demo-scenario.js'), import('../demo/demo-world.js')])
      const say = (line: string) => process.stdout.write(`${line}\n`)
      say('lanyard demo: a broker and upstream stand-ins on 127.0.0.1, nothing leaves this machine\n')
      const world = await startDemoWorld()
      try {
        const ok = await runDemoScenario(world, say)
        if (!ok) throw new CliError('the demo did not behave as expected (see FAIL above)')
        say('\ndone: one handle, narrowed short-lived credentials, attribution, one revoke, a verifiable record')
        if (options.keep) {
          // Where the CLI looks for it ($LANYARD_DATA_DIR/admin-token), so it is never printed.
          await writeFile(join(world.dataDir, 'admin-token'), `${world.broker.adminToken}\n`, { mode: 0o600 })
          say(`\nstill running. In another shell:\n  export LANYARD_URL=${world.broker.url}\n  export LANYARD_DATA_DIR=${world.dataDir}  # the CLI reads the admin token from there\n  lanyard agents list\nCtrl-C stops everything.`)
          await new Promise<void>((done) => {
            process.once('SIGINT', () => done())
            process.once('SIGTERM', () => done())
          })
        }
      } finally {
        await world.close()
      }
    })
}
