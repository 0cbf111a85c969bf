import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const resultsFile = join(root, '.bench', 'results.jsonl')

/** One line of `.bench/results.jsonl`: what was measured, against what, and whether it met its target. */
export interface BenchResult {
  readonly bench: string
  readonly store: string
  /** What was driven: `lanyard`, `oidc-provider`, a replica. */
  readonly subject?: string
  readonly unit: string
  /** Measured against what (e.g. broker/peer throughput, total/ideal time). */
  readonly ratio?: number
  readonly target?: string
  readonly pass?: boolean
  /** Set instead of the metrics when the bench could not run here, with the reason. */
  readonly skipped?: string
  readonly [metric: string]: unknown
}

function commit(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const run = { at: new Date().toISOString(), node: process.version, commit: commit() }
const recorded: BenchResult[] = []

/** Prints the result as one JSON line and appends it to `.bench/results.jsonl`. */
export function record(result: BenchResult): void {
  // The 1-minute load average as the bench ends: the bench itself adds about 2 on two cores;
  // much more means other work shared the machine and the numbers are not comparable.
  const measured = { ...result, load1: Number(loadavg()[0]!.toFixed(2)) }
  const line = JSON.stringify({ ...measured, ...run })
  mkdirSync(join(root, '.bench'), { recursive: true })
  appendFileSync(resultsFile, `${line}\n`)
  process.stdout.write(`${line}\n`)
  recorded.push(measured)
}

const round = (value: number): string => (Number.isInteger(value) || Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2))

const fixed = new Set(['bench', 'store', 'subject', 'unit', 'ratio', 'target', 'pass', 'skipped', 'note'])
const cell = (value: unknown): string => (value === undefined ? '' : typeof value === 'number' ? round(value) : String(value))
const verdict = (r: BenchResult): string => (r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL')

/** Columns padded to their widest cell. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows.map((row) => row.map((text, i) => text.padEnd(widths[i]!)).join('  ').trimEnd())
}

/** One bench's results: a row per result, a column per metric; too wide, a block per result. */
function benchTable(bench: string, results: readonly BenchResult[]): string[] {
  const measured = results.filter((r) => r.skipped === undefined)
  const names = [...new Set(measured.flatMap((r) => Object.keys(r).filter((name) => !fixed.has(name))))]
  const header = ['store', 'subject', ...names, 'ratio', 'target', 'result']
  const rows = measured.map((r) => [r.store, r.subject ?? '', ...names.map((name) => cell(r[name])), r.ratio === undefined ? '' : `${round(r.ratio)}x`, r.target ?? '', verdict(r)])
  const skipped = results.filter((r) => r.skipped !== undefined).map((r) => `${r.store} ${r.subject ?? ''}: skipped: ${r.skipped}`)
  const units = [...new Set(measured.map((r) => r.unit))].join('; ')
  const title = `== ${bench}${units ? ` (${units})` : ''}`
  const lines = rows.length === 0 ? [] : columns([header, ...rows])
  if (lines.every((line) => line.length <= 220)) return [title, ...lines, ...skipped]
  const blocks = rows.flatMap((row) => ['', ...columns(header.map((name, j) => [`  ${name}`, row[j]!]).filter((pair) => pair[1] !== ''))])
  return [title, ...blocks.slice(1), ...skipped]
}

/** Everything recorded in this run: a table per bench, the notes, the run (stdout). */
export function printTable(): void {
  const benches = [...new Set(recorded.map((r) => r.bench))]
  const out = benches.flatMap((bench) => ['', ...benchTable(bench, recorded.filter((r) => r.bench === bench))])
  for (const r of recorded) if (typeof r.note === 'string') out.push(`note (${r.bench}, ${r.store}${r.subject ? `, ${r.subject}` : ''}): ${r.note}`)
  out.push('', `commit ${run.commit}, node ${run.node}, ${run.at}, load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${cpus().length} cores; lines appended to ${resultsFile}`)
  process.stdout.write(`${out.join('\n')}\n`)
}
