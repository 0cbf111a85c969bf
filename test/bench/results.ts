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

/** The metrics of a result, as `name=value` pairs, without the columns the table shows. */
function metrics(result: BenchResult): string {
  const shown = new Set(['bench', 'store', 'subject', 'unit', 'ratio', 'target', 'pass', 'skipped', 'note'])
  return Object.entries(result)
    .filter(([name]) => !shown.has(name))
    .map(([name, value]) => `${name}=${typeof value === 'number' ? round(value) : String(value)}`)
    .join(' ')
}

/** Everything recorded in this run, as a table (stdout). */
export function printTable(): void {
  const rows = recorded.map((r) => [
    r.bench,
    r.store,
    r.subject ?? '',
    r.skipped === undefined ? `${metrics(r)} (${r.unit})` : `skipped: ${r.skipped}`,
    r.ratio === undefined ? '' : `${round(r.ratio)}x`,
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ])
  const header = ['bench', 'store', 'subject', 'metrics', 'ratio', 'target', 'result']
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`)
  const notes = recorded.filter((r) => typeof r.note === 'string')
  for (const r of notes) process.stdout.write(`note (${r.bench}, ${r.store}${r.subject ? `, ${r.subject}` : ''}): ${String(r.note)}\n`)
  process.stdout.write(`\ncommit ${run.commit}, node ${run.node}, ${run.at}, load average ${loadavg().map((n) => n.toFixed(1)).join(' ')} on ${cpus().length} cores; lines appended to ${resultsFile}\n`)
}
