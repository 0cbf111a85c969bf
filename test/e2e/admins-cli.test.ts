import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'

const bin = fileURLToPath(new URL('../../apps/cli/bin/lanyard.js', import.meta.url))
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker()
})
afterAll(() => t.close())

async function lanyard(token: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', LANYARD_URL: t.url, LANYARD_ADMIN_TOKEN: token }, encoding: 'utf8', timeout: 60_000 })
    return { stdout, stderr, code: 0 }
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number }
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code }
  }
}

it('README "Admins and roles": the first named admin with the bootstrap token, then retire-bootstrap', { timeout: 120_000 }, async () => {
  const created = await lanyard(t.adminToken, '--json', 'admins', 'create', 'alice@acme.dev', '--role', 'admin', '--expires-in', '30d')
  expect(created.code).toBe(0)
  const alice = JSON.parse(created.stdout) as { token: string; principal: string; expires_at: string }
  expect(alice).toMatchObject({ principal: 'admin:alice@acme.dev', token: expect.stringMatching(/^lya_/) })
  expect(new Date(alice.expires_at).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000)

  const human = await lanyard(alice.token, 'admins', 'create', 'rita@acme.dev', '--role', 'responder', '--role', 'auditor')
  expect(human.stdout).toMatch(/created admin:rita@acme.dev \(responder, auditor\)\ntoken \(shown once, store it now\): lya_/)
  expect((await lanyard(t.adminToken, 'admins', 'create', 'x@acme.dev', '--role', 'root')).stderr).toMatch(/expected one of admin, responder, owner, auditor/)

  expect((await lanyard(alice.token, 'admins', 'retire-bootstrap')).stdout).toMatch(/^bootstrap token retired at /)
  const refused = await lanyard(t.adminToken, 'admins', 'list')
  expect(refused.code).not.toBe(0)
  expect(refused.stderr).toMatch(/ERR_CLIENT_UNAUTHORIZED/)

  const listed = await lanyard(alice.token, 'admins', 'list')
  expect(listed.stdout).toMatch(/alice@acme\.dev\s+admin/)
  expect(listed.stdout).toMatch(/rita@acme\.dev\s+responder,auditor/)
  expect(listed.stdout).toMatch(/bootstrap token: retired/)
  expect(listed.stdout).not.toContain('lya_')

  expect((await lanyard(alice.token, 'admins', 'revoke', 'rita@acme.dev')).stdout).toMatch(/^revoked admin:rita@acme.dev at /)
})
