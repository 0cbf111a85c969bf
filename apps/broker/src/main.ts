import { startBroker } from './broker.js'

// `node apps/broker/src/main.ts [--config lanyard.yaml]`: the broker alone, without the CLI.
const configIndex = process.argv.indexOf('--config')
const broker = await startBroker(configIndex > 0 ? { config: process.argv[configIndex + 1]! } : {})
process.stderr.write(`lanyard: listening on ${broker.url}\n`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void broker.close().then(() => process.exit(0)))
}
