import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { record } from './results.js'

const bin = fileURLToPath(new URL('../../apps/cli/bin/lanyard.js', import.meta.url))
const built = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url))

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Wall time of `node args...` from spawn to exit, in ms, `runs` times after `warmup` untimed runs. */
function time(args: readonly string[], runs: number, warmup: number): number[] {
  const samples: number[] = []
  for (let i = 0; i < warmup + runs; i++) {
    const start = process.hrtime.bigint()
    // No LANYARD_* from the shell: LANYARD_CLI_SOURCE would time the source through tsx.
    const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr.toString()}`)
    if (i >= warmup) samples.push(ms)
  }
  return samples.sort((a, b) => a - b)
}

/**
 * `lanyard --version` and `lanyard --help` started cold (a fresh process each) on a warm
 * machine (file cache warmed by untimed runs): the built CLI the bin runs in-process. Bare
 * `node -e ''` is timed beside them: what Node itself costs here, so `overhead_ms` (the CLI's
 * median less Node's) stays comparable on a loaded machine. Target: median under 150 ms.
 */
export function cliBench(options: { runs: number; warmup: number }): void {
  if (!existsSync(built)) throw new Error('apps/cli/dist is not built: run `pnpm install` or `pnpm build`')
  const node = time(['-e', ''], options.runs, options.warmup)
  const nodeMedian = percentile(node, 50)
  record({ bench: 'cli', store: 'none', subject: "node -e ''", unit: 'ms from spawn to exit', runs: options.runs, median_ms: nodeMedian, p95_ms: percentile(node, 95) })
  for (const args of [['--version'], ['--help']]) {
    const samples = time([bin, ...args], options.runs, options.warmup)
    const median = percentile(samples, 50)
    record({ bench: 'cli', store: 'none', subject: `lanyard ${args.join(' ')}`, unit: 'ms from spawn to exit', runs: options.runs, median_ms: median, p95_ms: percentile(samples, 95), overhead_ms: median - nodeMedian, target: 'median < 150 ms', pass: median < 150 })
  }
}
