import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/**
 * One exit code per error class (docs/cli.md), and with --json the error as one JSON object on
 * stderr with its stable `code`. Each class is produced for real: a real broker refusing, a
 * port nobody listens on, a broken configuration, a statement that does not verify.
 */
describe('exit codes per error class, errors as JSON with --json', { timeout: 120_000 }, () => {
  const adminToken = `exit-${randomBytes(12).toString('hex')}`
  let started: CliBroker | undefined
  let unavailable: Server
  let unavailableUrl: string
  beforeAll(async () => {
    started = await startCliBroker({ adminToken, config: { logLevel: 'silent', systems: [{ name: 'mem', type: 'memory' }] } })
    // A broker whose store is down answers 503 problem+json: stood in here, answer for answer.
    unavailable = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' })
      res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the store is unavailable', code: 'ERR_STORE_UNAVAILABLE' }))
    }).listen(0, '127.0.0.1')
    await once(unavailable, 'listening')
    unavailableUrl = `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    unavailable?.close()
    await started?.close()
  })

  /** Runs `args` twice, as text and with --json; checks the exit code both times and returns the JSON error. */
  async function both(args: string[], env: Record<string, string>, exit: number): Promise<Record<string, unknown>> {
    const [text, json] = await Promise.all([runCli(args, { env, cwd: started!.dir }), runCli([...args, '--json'], { env, cwd: started!.dir })])
    expect(text.code, text.stderr).toBe(exit)
    expect(text.stderr).toMatch(/^(error: )?.+\n/)
    expect(json.code, json.stderr).toBe(exit)
    const lines = json.stderr.trim().split('\n')
    expect(lines, json.stderr).toHaveLength(1)
    const error = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String), exit_code: exit })
    expect(json.stderr).not.toContain(adminToken)
    return error
  }

  it('1 failure, 2 usage, 3 config, 4 unreachable', async () => {
    const noToken = { LANYARD_URL: started!.broker.url, LANYARD_DATA_DIR: join(started!.dir, 'nowhere') }
    expect(await both(['agents', 'list'], noToken, 1)).toMatchObject({ code: 'failed', message: expect.stringMatching(/^no admin token/) })
    expect(await both(['agents', 'create', 'a@b.dev'], started!.env, 2)).toMatchObject({ code: 'commander.missingMandatoryOptionValue' })
    await writeFile(join(started!.dir, 'broken.yaml'), 'listen: nowhere\nsystems: 3\n')
    expect(await both(['serve', '--config', 'broken.yaml'], {}, 3)).toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    expect(await both(['agents', 'list'], { ...started!.env, LANYARD_URL: 'http://127.0.0.1:1' }, 4)).toMatchObject({ code: 'broker_unreachable' })
  })

  it('5 refused by the broker, 6 unavailable, 7 verification failed', async () => {
    expect(await both(['agents', 'show', 'nobody@agents.exit.test'], started!.env, 5)).toMatchObject({ code: 'ERR_AGENT_NOT_FOUND', status: 404 })
    expect(await both(['agents', 'list'], { ...started!.env, LANYARD_URL: unavailableUrl }, 6)).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 })
    await writeFile(join(started!.dir, 'statement.jws'), 'not-a.statement.at-all\n')
    expect(await both(['verify-statement', 'statement.jws', '--issuer', started!.broker.url], started!.env, 7)).toMatchObject({ code: 'verification_failed' })
  })
})
