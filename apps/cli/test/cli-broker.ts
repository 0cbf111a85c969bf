import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '@lanyard/broker'
import type { Clock } from '@lanyard/core'
import { expect } from 'vitest'

/** A broker the CLI's tests run commands against: in-process, in a temporary folder. */
export interface CliBroker {
  /** The folder holding lanyard.yaml and data/; commands run here. */
  readonly dir: string
  readonly broker: RunningBroker
  /** What a user's shell would hold: LANYARD_URL and LANYARD_ADMIN_TOKEN. */
  readonly env: Record<string, string>
  /** The admin API straight, for set-up and for checking what a command did; fails the test on a non-2xx. */
  admin<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>
  close(): Promise<void>
}

/** Starts a broker on the embedded store with `config` (lanyard.yaml) and the admin bearer `adminToken`. */
export async function startCliBroker(options: { config: Record<string, unknown>; adminToken: string; clock?: Clock }): Promise<CliBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'lanyard-cli-'))
  // The broker creates its data folder only when it generates a secret there (not with both in env).
  await mkdir(join(dir, 'data'), { mode: 0o700 })
  await writeFile(join(dir, 'lanyard.yaml'), JSON.stringify(options.config))
  const broker = await startBroker({
    config: join(dir, 'lanyard.yaml'),
    env: { LANYARD_DATA_DIR: join(dir, 'data'), LANYARD_LISTEN: '127.0.0.1:0', LANYARD_ADMIN_TOKEN: options.adminToken, LANYARD_MASTER_KEY: randomBytes(32).toString('base64') },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    notice: () => {},
  })
  return {
    dir,
    broker,
    env: { LANYARD_URL: broker.url, LANYARD_ADMIN_TOKEN: options.adminToken },
    async admin<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${broker.url}${path}`, { method, headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
      expect(response.ok, `${method} ${path}: HTTP ${response.status}`).toBe(true)
      return (await response.json()) as T
    },
    async close() {
      await broker.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
