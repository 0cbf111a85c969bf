import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '@lanyard/broker'
import { expect, it } from 'vitest'
import { deleteKeys, storeEnv, testMasterKey } from '../support/broker.js'

/** A port that was free a moment ago, so the pollers can aim at it before the broker listens. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Answer {
  status: number
  retryAfter: string | null
  body: Record<string, unknown>
}

it('answers every request that connects while the broker starts, 503 with Retry-After until it can serve', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lanyard-startup-'))
  const port = await freePort()
  const answers: Answer[] = []
  const hung: string[] = []
  let stop = false
  // Several pollers from before the socket opens: a request refused at connect is retried, one
  // that connects must be answered within a request timeout (10 s: an unanswered one hangs
  // forever; a loaded two-core machine can stall a few seconds).
  const poll = async (path: string) => {
    while (!stop) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000), method: path === '/oauth/token' ? 'POST' : 'GET', ...(path === '/oauth/token' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' } : {}) })
        answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> })
        if (response.status === 200 && path === '/healthz') return
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') hung.push(path)
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    }
  }
  const pollers = ['/healthz', '/healthz', '/readyz', '/oauth/token', '/v1/agents'].map(poll)
  // On Redis, a key prefix of its own (the shared server keeps other runs' keys).
  const keyPrefix = `lanyard-test-startup-${randomBytes(4).toString('hex')}`
  const redisUrl = storeEnv().LANYARD_REDIS_URL
  writeFileSync(join(dataDir, 'lanyard.yaml'), JSON.stringify(redisUrl === undefined ? {} : { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix, durability: 'volatile' } }))
  const broker = await startBroker({ config: join(dataDir, 'lanyard.yaml'), env: { LANYARD_MASTER_KEY: testMasterKey, LANYARD_ADMIN_TOKEN: 'startup-admin-token-0123456789', LANYARD_DATA_DIR: dataDir, LANYARD_LOG_LEVEL: 'silent', ...storeEnv() }, listen: `127.0.0.1:${port}`, notice: () => {} })
  try {
    await Promise.race([Promise.all(pollers.slice(0, 2)), new Promise((resolve) => setTimeout(resolve, 20_000))])
  } finally {
    stop = true
    await Promise.all(pollers)
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
    if (redisUrl !== undefined) await deleteKeys(redisUrl, keyPrefix)
  }
  expect(hung).toEqual([])
  expect(answers.some((a) => a.status === 200)).toBe(true)
  for (const answer of answers.filter((a) => a.status === 503)) {
    expect(answer.retryAfter).toBe('1')
    expect(answer.body.error === 'temporarily_unavailable' || answer.body.detail === 'the broker is starting').toBe(true)
  }
})
