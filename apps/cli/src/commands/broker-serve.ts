import { mkdir } from 'node:fs/promises'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'

/**
 * `lanyard serve [--config path] [--listen host:port] [--data-dir dir]`: the broker in this
 * process. Without configuration it runs on the embedded store in ./.lanyard, on 127.0.0.1.
 * The broker runs in this very process (bin/lanyard.js spawns nothing), so a supervisor's
 * signal reaches it. Stays up until SIGINT or SIGTERM, then drains: requests in flight are
 * answered (up to 10 s), the cascade finishes the tasks it leased, the store is closed, exit 0.
 * A second signal during close ends the process at once.
 */
export function brokerServe(program: Command): void {
  program
    .command('serve')
    .description('run the broker')
    .option('--config <path>', 'lanyard.yaml (default: LANYARD_CONFIG, or none: embedded store, local data folder)')
    .option('--listen <host:port>', 'address to listen on (default: LANYARD_LISTEN or the configuration)', listenAddress)
    .option('--data-dir <dir>', 'data folder for the embedded store and the generated admin token (default: LANYARD_DATA_DIR or ./.lanyard)')
    .action(async (options: { config?: string; listen?: string; dataDir?: string }) => {
      // Imported here, not at the top: the broker pulls in express, the stores and every
      // connector, which no other command needs (the CLI starts about 3x faster without).
      const { startBroker } = await import('@lanyard/broker')
      // The broker creates its data folder only when it generates a secret there.
      if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
      const env = options.dataDir === undefined ? process.env : { ...process.env, LANYARD_DATA_DIR: options.dataDir }
      const broker = await startBroker({ ...(options.config ? { config: options.config } : {}), ...(options.listen ? { listen: options.listen } : {}), env })
      process.stdout.write(
        [`lanyard broker listening on ${broker.url}`, `issuer: ${broker.issuer}`, `admin token: ${adminTokenSource(broker, env)}`, 'stop with Ctrl-C (SIGINT) or SIGTERM', ''].join('\n'),
      )
      const signal = await new Promise<NodeJS.Signals>((done) => {
        process.once('SIGINT', done)
        process.once('SIGTERM', done)
      })
      process.stdout.write(`${signal}: closing\n`)
      await broker.close()
      process.stdout.write('closed\n')
    })
}

/** Where the admin token is, never the token itself. */
function adminTokenSource(broker: { adminTokenPath: string | undefined }, env: NodeJS.ProcessEnv): string {
  if (broker.adminTokenPath) return `${broker.adminTokenPath} (mode 0600)`
  return env.LANYARD_ADMIN_TOKEN ? 'from LANYARD_ADMIN_TOKEN' : 'from the configuration'
}

function listenAddress(value: string): string {
  const match = /^(.+):(\d{1,5})$/.exec(value)
  if (!match || Number(match[2]) > 65_535) throw new InvalidArgumentError('expected host:port')
  return value
}
