import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { decodeJwt } from 'jose'
import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker } from '../support/federation.js'

const f = federatedBroker()
const bin = fileURLToPath(new URL('../../apps/cli/bin/lanyard.js', import.meta.url))

async function lanyard(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', LANYARD_CLI_SOURCE: '1', LANYARD_URL: f.t.url, LANYARD_ADMIN_TOKEN: f.t.adminToken }, encoding: 'utf8', timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

it('lanyard trust add, trust list, then lanyard token --federated-token-file signs in as the pod', { timeout: 120_000 }, async () => {
  const { handle } = await f.agentTrusting()
  const added = await lanyard('--json', 'trust', 'add', handle, '--issuer', f.kubernetes.issuer, '--audience', brokerAudience, '--subject', 'system:serviceaccount:batch:*', '--shape', 'kubernetes', '--claims', '{"kubernetes.io":{"namespace":"batch"}}')
  expect(added.code, added.stderr).toBe(0)
  const rule = JSON.parse(added.stdout) as { id: string }
  const refused = await lanyard('trust', 'add', handle, '--issuer', 'https://kubernetes.default.svc.evil', '--audience', brokerAudience, '--subject', 'system:serviceaccount:batch:x')
  expect(refused.code).toBe(5)
  expect(refused.stderr).toMatch(/ERR_ISSUER_UNKNOWN, HTTP 400/)

  const file = join(mkdtempSync(join(tmpdir(), 'lanyard-projected-')), 'token')
  writeFileSync(file, await f.kubernetes.token(brokerAudience, { namespace: 'batch', serviceAccount: 'nightly' }))
  const [listed, token] = await Promise.all([lanyard('trust', 'list', handle), lanyard('--json', 'token', '--federated-token-file', file)])
  expect(listed.stdout).toContain(rule.id)
  expect(token.code, token.stderr).toBe(0)
  const claims = decodeJwt(JSON.parse(token.stdout).access_token as string)
  // Printed for another process to use: a bearer token, not bound to a key that died with the CLI.
  expect(claims).toMatchObject({ sub: handle, auth: { method: 'federated', rule: rule.id } })
  expect(claims.cnf).toBeUndefined()

  const removed = await lanyard('trust', 'remove', handle, rule.id)
  expect(removed.code, removed.stderr).toBe(0)
  expect((await lanyard('token', '--federated-token-file', file)).stderr).toMatch(/invalid_grant/)
})
