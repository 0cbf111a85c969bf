import { parseArgs } from 'node:util'
import { brokerVersion } from './version.js'

const help = `Usage: node apps/broker/dist/main.js [--config lanyard.yaml]

Runs the Lanyard broker alone, without the CLI (\`lanyard serve\` is the same with more options).

Options:
  --config <path>  lanyard.yaml (default: LANYARD_CONFIG, or ./lanyard.yaml when present)
  -V, --version    print the version
  -h, --help       print this help

Stops on SIGINT or SIGTERM: requests in flight are answered, then it exits 0.
`

// `node apps/broker/dist/main.js [--config lanyard.yaml]`: the broker alone, without the CLI.
// A help or version flag answers and starts nothing; an unknown argument is a usage error (2).
let args: { config?: string; help?: boolean; version?: boolean }
try {
  args = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } } }).values
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n\n${help}`)
  process.exit(2)
}
if (args.help) {
  process.stdout.write(help)
} else if (args.version) {
  process.stdout.write(`${brokerVersion}\n`)
} else {
  const { startBroker } = await import('./broker.js')
  const broker = await startBroker(args.config === undefined ? {} : { config: args.config })
  process.stderr.write(`lanyard: listening on ${broker.url}\n`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void broker.close().then(() => process.exit(0)))
  }
}
