import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

const version = (path: string) => (JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')) as { version: string }).version
const brokerMain = fileURLToPath(new URL('../../broker/src/main.ts', import.meta.url))
/** The broker's own entry from source (the dist one is the same file built). */
const runBrokerMain = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--conditions=lanyard-source', '--import', 'tsx', brokerMain, ...args], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 })

describe('versions and help', { timeout: 60_000 }, () => {
  let started: CliBroker | undefined
  beforeAll(async () => {
    started = await startCliBroker({ adminToken: `t-${randomBytes(8).toString('hex')}`, config: { logLevel: 'silent', systems: [{ name: 'mem', type: 'memory' }] } })
  })
  afterAll(() => started?.close())

  it('lanyard --version prints the CLI version; /healthz names the broker version', async () => {
    const [long, short] = await Promise.all([runCli(['--version']), runCli(['-V'])])
    expect(long).toEqual({ code: 0, stdout: `${version('../package.json')}\n`, stderr: '' })
    expect(short.stdout).toBe(long.stdout)
    const health = (await (await fetch(`${started!.broker.url}/healthz`)).json()) as unknown
    expect(health).toEqual({ status: 'ok', version: version('../../broker/package.json') })
  })

  it('lanyard serve --help and the broker main --help print help and start no broker', async () => {
    // Port 1 cannot be bound without privileges: a broker that started anyway would fail loudly.
    const serveHelp = await runCli(['serve', '--help', '--listen', '127.0.0.1:1'])
    expect(serveHelp.code).toBe(0)
    expect(serveHelp.stdout).toMatch(/Usage: lanyard serve/)
    expect(serveHelp.stdout).not.toMatch(/listening/)
    const mainHelp = await runBrokerMain('--help')
    expect(mainHelp.stdout).toMatch(/^Usage: node apps\/broker\/dist\/main\.js/)
    expect(mainHelp.stderr).not.toMatch(/listening/)
    expect((await runBrokerMain('--version')).stdout).toBe(`${version('../../broker/package.json')}\n`)
    await expect(runBrokerMain('--bogus')).rejects.toMatchObject({ code: 2 })
  })
})
