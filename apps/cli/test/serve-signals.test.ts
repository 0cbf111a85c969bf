import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgentClient } from '@lanyard/client'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { binPath } from './run-cli.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanyard-signals-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/**
 * The PID `lanyard serve` prints under is the broker itself: a SIGTERM to it (as a supervisor
 * sends) lets an exchange already in flight finish and be answered, then the process exits 0
 * and nothing keeps listening (no orphaned broker in a child process).
 */
it('SIGTERM to the `lanyard serve` PID drains a slow exchange in flight, then exits 0', { timeout: 90_000 }, async () => {
  const adminToken = `signals-${randomBytes(12).toString('hex')}`
  // The memory upstream takes 3 s to mint: long enough to signal while the exchange waits on it.
  await writeFile(join(dir, 'lanyard.yaml'), JSON.stringify({ logLevel: 'warn', systems: [{ name: 'slow', type: 'memory', latencyMs: 3000 }] }))
  const env = { PATH: process.env.PATH ?? '', LANYARD_CLI_SOURCE: '1', LANYARD_ADMIN_TOKEN: adminToken, LANYARD_MASTER_KEY: randomBytes(32).toString('base64'), LANYARD_DATA_DIR: join(dir, 'data') }
  const serve = spawn(process.execPath, [binPath, 'serve', '--config', 'lanyard.yaml', '--listen', '127.0.0.1:0'], { cwd: dir, env })
  const exited = once(serve, 'exit')
  let stdout = ''
  serve.stdout.setEncoding('utf8')
  serve.stderr.resume()
  try {
    const url = await new Promise<string>((resolve, reject) => {
      serve.stdout.on('data', (chunk: string) => {
        stdout += chunk
        const match = /^lanyard broker listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)
        if (match && stdout.includes('stop with')) resolve(match[1] as string)
      })
      void exited.then(() => reject(new Error(`serve exited early: ${stdout}`)))
    })
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect(response.ok, `${path}: ${response.status}`).toBe(true)
    }
    const handle = 'slow-bot@agents.signals.test'
    await admin('/v1/agents', { handle, owner: 'ops@acme.dev' })
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    await admin(`/v1/agents/${handle}/keys`, { jwk: await exportJWK(publicKey) })
    await admin(`/v1/agents/${handle}/bindings`, { system: 'slow', target: { account: 'default' }, ceiling: ['read'] })
    const agent = createAgentClient({ brokerUrl: url, handle, privateKey: { ...(await exportJWK(privateKey)), alg: 'EdDSA' } })
    await agent.token()

    const exchange = agent.exchange({ system: 'slow', scope: 'read' })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    serve.kill('SIGTERM')
    const credential = await exchange
    expect(credential.scope).toBe('read')
    const [code, signal] = await exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(stdout).toMatch(/SIGTERM: closing\nclosed\n$/)
    // The process that exited was the broker: its port answers no more.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  } finally {
    if (serve.exitCode === null) serve.kill('SIGKILL')
  }
})
