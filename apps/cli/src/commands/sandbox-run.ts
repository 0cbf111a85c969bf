import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'

/**
 * `lanyard sandbox [--dir D]`: the stand-ins for GitHub, AWS (STS and IAM) and an OAuth server,
 * on 127.0.0.1, until SIGINT or SIGTERM. Prints the lanyard.yaml that points a broker at them
 * (stdout; also written to `<dir>/lanyard.yaml`, with the upstream secrets beside it), then how
 * to serve it and the binding targets that exist there (stderr). packages/sandbox/README.md.
 */
export function sandboxRun(program: Command): void {
  program
    .command('sandbox')
    .description('run local stand-ins for GitHub, AWS and an OAuth server, and print the lanyard.yaml for them')
    .option('--dir <dir>', 'where lanyard.yaml and the stand-ins\' secrets are written (default: a new temporary folder)')
    .action(async (options: { dir?: string }) => {
      const { startSandboxWorld } = await import('../sandbox/sandbox-world.js')
      const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'lanyard-sandbox-')))
      const world = await startSandboxWorld(dir)
      process.stdout.write(world.yaml)
      process.stderr.write(
        [
          '',
          `stand-ins: GitHub ${world.urls.github}, AWS ${world.urls.aws}, OAuth ${world.urls.oauth}`,
          `configuration: ${join(dir, 'lanyard.yaml')} (the secrets it names are beside it, mode 0600)`,
          `serve it:  lanyard serve --config ${join(dir, 'lanyard.yaml')} --data-dir ${join(dir, 'data')}`,
          'binding targets that exist there:',
          `  github-sandbox  --target '${JSON.stringify(world.targets.github)}'  (scopes: contents:read, issues:write, repo:api, ...)`,
          `  aws-sandbox     --target '${JSON.stringify(world.targets.aws)}'  (scopes: s3:GetObject, resource:arn:aws:s3:::bucket/*, ...)`,
          `  oauth-sandbox   --target '${JSON.stringify(world.targets.oauth)}'  (scopes: read, write)`,
          'Ctrl-C (SIGINT) or SIGTERM stops them.',
          '',
        ].join('\n'),
      )
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done())
        process.once('SIGTERM', () => done())
      })
      await world.close()
    })
}
