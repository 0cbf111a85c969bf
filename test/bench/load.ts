import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

/** One HTTP request of the load: the same shape for the broker and the peer. */
export interface LoadRequest {
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string
}

export interface LoadResult {
  /** Answers that completed inside the measured window, failed ones included. */
  readonly requests: number
  /** Answers that were not 2xx (counted, not in the latencies): must be 0 for a valid run. */
  readonly errors: number
  /** Successful answers per second. */
  readonly throughput: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Statuses of the failed answers, for the report. */
  readonly errorStatuses: readonly number[]
  /** The subject process's CPU time (user + system) per answer, in µs; NaN without a pid. */
  readonly cpuUsPerOp: number
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/**
 * CPU time a process has used so far (utime + stime from /proc/PID/stat), in ms. Ticks are
 * 10 ms: over a 1 s window of ~1,000 answers that is ±10 µs an answer, and the windows add up.
 */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // After the command name (in parentheses, may hold spaces) come fields 3 onwards.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** A form POST with keep-alive (whether the socket is reused is the server's choice). */
export function send(agent: Agent, url: URL, load: LoadRequest): Promise<{ status: number; body: string; keepAlive: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: load.path, headers: { ...load.headers, 'content-length': Buffer.byteLength(load.body) } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, keepAlive: res.headers.connection !== 'close' }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(load.body)
  })
}

/** What one subject answered in its measured windows, summed over slices. */
export interface Samples {
  readonly latencies: number[]
  readonly errorStatuses: number[]
  measuredMs: number
  /** CPU time the subject's process used inside the measured windows. */
  cpuMs: number
}

/** A server driven by the load: where, and what to send next. */
export interface LoadSubject {
  readonly url: string
  /** The serving process, whose CPU time is read over each measured window. */
  readonly pid?: number
  next(): LoadRequest
}

/**
 * One closed-loop slice: `concurrency` workers, each sending its next request when the previous
 * one answered, for `warmupMs` (not counted: the pipeline fills), then `measureMs` (counted into
 * `samples`). Plain node:http with a keep-alive agent: the lightest client Node has, since it
 * shares two cores with the server.
 */
async function slice(subject: LoadSubject, agent: Agent, samples: Samples, options: { concurrency: number; warmupMs: number; measureMs: number }): Promise<void> {
  const url = new URL(subject.url)
  const measureFrom = performance.now() + options.warmupMs
  const measureTo = measureFrom + options.measureMs
  const worker = async () => {
    while (performance.now() < measureTo) {
      const load = subject.next()
      const started = performance.now()
      const answer = await send(agent, url, load).catch(() => ({ status: 0 }))
      const finished = performance.now()
      if (finished < measureFrom || finished > measureTo) continue
      if (answer.status >= 200 && answer.status < 300) samples.latencies.push(finished - started)
      else samples.errorStatuses.push(answer.status)
    }
  }
  // CPU read at the window's edges (timers: a few ms late at worst, on a 1 s window).
  const pid = subject.pid
  let cpuFrom = 0
  const timers = pid === undefined || options.measureMs === 0 ? [] : [setTimeout(() => (cpuFrom = cpuMsOf(pid)), options.warmupMs), setTimeout(() => (samples.cpuMs += cpuMsOf(pid) - cpuFrom), options.warmupMs + options.measureMs)]
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  for (const timer of timers) clearTimeout(timer)
  samples.measuredMs += options.measureMs
}

function summarise(samples: Samples): LoadResult {
  const latencies = [...samples.latencies].sort((a, b) => a - b)
  return {
    requests: latencies.length + samples.errorStatuses.length,
    errors: samples.errorStatuses.length,
    throughput: latencies.length / (samples.measuredMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errorStatuses: [...new Set(samples.errorStatuses)],
    cpuUsPerOp: (samples.cpuMs * 1000) / (latencies.length + samples.errorStatuses.length),
  }
}

export interface InterleaveOptions {
  readonly concurrency: number
  /** Each subject alone, once, before any measurement. */
  readonly warmupMs: number
  /** Measured time per subject, cut into `slices` windows that alternate among the subjects. */
  readonly measureMs: number
  readonly slices: number
  /** Unmeasured lead-in of each window, so a window starts with the pipeline full. */
  readonly sliceWarmupMs: number
}

/**
 * Drives every subject with the same closed loop, in turns: a warm-up each, then `slices`
 * rounds of one window per subject. Interleaving spreads any drift of the machine (other work,
 * the disk) evenly over the subjects, so their ratio stays meaningful on a shared machine.
 */
export async function interleaved(subjects: readonly LoadSubject[], options: InterleaveOptions): Promise<LoadResult[]> {
  // A fresh keep-alive agent per window: a socket left idle while the other subjects ran may be
  // closed by its server (node:http's 5 s keep-alive timeout) just as it is reused, which the
  // client would count as an error that no server made. The window's lead-in opens new ones.
  const fresh = () => new Agent({ keepAlive: true, maxSockets: options.concurrency })
  const samples: Samples[] = subjects.map((subject) => ({ latencies: [], errorStatuses: [], measuredMs: 0, cpuMs: subject.pid === undefined ? Number.NaN : 0 }))
  const window = { concurrency: options.concurrency, warmupMs: options.sliceWarmupMs, measureMs: options.measureMs / options.slices }
  const run = async (subject: LoadSubject, into: Samples, options: { concurrency: number; warmupMs: number; measureMs: number }) => {
    const agent = fresh()
    try {
      await slice(subject, agent, into, options)
    } finally {
      agent.destroy()
    }
  }
  for (const subject of subjects) await run(subject, { latencies: [], errorStatuses: [], measuredMs: 0, cpuMs: 0 }, { ...window, warmupMs: options.warmupMs, measureMs: 0 })
  for (let round = 0; round < options.slices; round++) {
    for (const [i, subject] of subjects.entries()) await run(subject, samples[i]!, window)
  }
  return samples.map(summarise)
}
