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

/**
 * A closed loop: `concurrency` workers, each sending its next request when the previous one
 * answered, for `warmupMs` (not counted), then `measureMs` (counted). Plain node:http with a
 * keep-alive agent: the lightest client Node has, since it shares two cores with the server.
 */
export async function closedLoop(options: { url: string; concurrency: number; warmupMs: number; measureMs: number; next: (i: number) => LoadRequest }): Promise<LoadResult> {
  const url = new URL(options.url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency })
  const latencies: number[] = []
  const errorStatuses: number[] = []
  const begin = performance.now()
  const measureFrom = begin + options.warmupMs
  const measureTo = measureFrom + options.measureMs
  let sequence = 0
  const worker = async () => {
    while (performance.now() < measureTo) {
      const load = options.next(sequence++)
      const started = performance.now()
      const answer = await send(agent, url, load).catch(() => ({ status: 0 }))
      const finished = performance.now()
      if (finished < measureFrom || finished > measureTo) continue
      if (answer.status >= 200 && answer.status < 300) latencies.push(finished - started)
      else errorStatuses.push(answer.status)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const requests = latencies.length + errorStatuses.length
  return {
    requests,
    errors: errorStatuses.length,
    throughput: latencies.length / (options.measureMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errorStatuses: [...new Set(errorStatuses)],
  }
}
