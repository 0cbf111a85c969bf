import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { binPath, runCli } from './run-cli.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanyard-serve-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

it('serve with no configuration: embedded store in ./.lanyard, prints where the admin token is (not the token), the CLI finds it there, SIGTERM closes cleanly', { timeout: 30_000 }, async () => {
  const serve = spawn(process.execPath, [binPath, 'serve', '--listen', '127.0.0.1:0'], { cwd: dir, env: { PATH: process.env.PATH ?? '', LANYARD_CLI_SOURCE: '1' } })
  let stdout = ''
  serve.stdout.setEncoding('utf8')
  let stderr = ''
  serve.stderr.setEncoding('utf8')
  serve.stderr.on('data', (chunk: string) => (stderr += chunk))
  const exited = once(serve, 'exit')
  try {
    const url = await new Promise<string>((resolve, reject) => {
      serve.stdout.on('data', (chunk: string) => {
        stdout += chunk
        const match = /^lanyard broker listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)
        if (match && stdout.includes('stop with')) resolve(match[1] as string)
      })
      void exited.then(() => reject(new Error(`serve exited early: ${stdout}`)))
    })
    const tokenPath = join(dir, '.lanyard', 'admin-token')
    expect(stdout).toContain(`issuer: ${url}\n`)
    expect(stdout).toContain(`admin token: ${tokenPath} (mode 0600)\n`)
    expect((await stat(tokenPath)).mode & 0o777).toBe(0o600)
    const token = (await readFile(tokenPath, 'utf8')).trim()
    expect(stdout).not.toContain(token)

    // No --token, no LANYARD_ADMIN_TOKEN: the CLI reads ./.lanyard/admin-token.
    const list = await runCli(['--url', url, 'agents', 'list'], { cwd: dir })
    expect(list).toEqual({ code: 0, stdout: 'no agents\n', stderr: '' })

    // No system configured: a warning with a stable code, in the log and in /readyz.
    expect(stderr).toMatch(/"code":"LANYARD_W001".*no system is configured/)
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', warnings: [{ code: 'LANYARD_W001', message: expect.stringMatching(/^no system is configured/) }] })
  } finally {
    serve.kill('SIGTERM')
  }
  const [code, signal] = await exited
  expect({ code, signal }).toEqual({ code: 0, signal: null })
  expect(stdout).toMatch(/SIGTERM: closing\nclosed\n$/)
})
