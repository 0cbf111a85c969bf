import { cascadeBench } from './cascade.js'
import { cliBench } from './cli.js'
import { exchangeBench } from './exchange.js'
import { printTable } from './results.js'
import { revocationBench } from './revocation.js'

// `pnpm bench [exchange] [revocation] [cascade] [cli]`: the named benches, or all of them, in order.
// Not part of `pnpm test`. See test/bench/README.md.
const benches = {
  // BENCH_EXCHANGE_MEASURE_MS: a shorter look while developing (the figures want the default).
  exchange: () => exchangeBench({ concurrency: 64, redisConcurrencies: [16, 256], agents: 8, warmupMs: 1000, measureMs: Number(process.env.BENCH_EXCHANGE_MEASURE_MS ?? 5000), slices: 5, sliceWarmupMs: 250 }),
  revocation: () => revocationBench({ trials: 60, replicas: 3, giveUpMs: 5000 }),
  // The ideal counts one round trip per grant: measured with proofs off, then again
  // with the default (proofs on, two round trips) against its own ideal.
  cascade: async () => {
    const options = { grants: Number(process.env.BENCH_CASCADE_GRANTS ?? 10_000), agents: 100, systems: 3, latencyMs: 50, concurrency: 64, setupConcurrency: 128 }
    await cascadeBench({ ...options, prove: false })
    await cascadeBench({ ...options, prove: true })
  },
  // BENCH_CLI_RUNS: more runs for a steadier median on a busy machine.
  cli: () => cliBench({ runs: Number(process.env.BENCH_CLI_RUNS ?? 30), warmup: 3 }),
} as const

type BenchName = keyof typeof benches
const names = Object.keys(benches) as BenchName[]
const asked = process.argv.slice(2).filter((arg) => arg !== '--')
const unknown = asked.filter((name) => !(names as string[]).includes(name))
if (unknown.length > 0) {
  process.stderr.write(`unknown bench: ${unknown.join(', ')} (known: ${names.join(', ')})\n`)
  process.exit(2)
}
let failed = false
for (const name of asked.length > 0 ? (asked as BenchName[]) : names) {
  process.stderr.write(`bench: ${name}\n`)
  try {
    await benches[name]()
  } catch (error) {
    failed = true
    process.stderr.write(`bench ${name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  }
}
printTable()
process.exit(failed ? 1 : 0)
