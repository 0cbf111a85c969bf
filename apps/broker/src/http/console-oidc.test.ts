import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load.js'
import { mapRoles } from './console-oidc.js'

describe('mapRoles', () => {
  const roleMap = { 'sec-oncall': 'responder', 'sec-audit': 'auditor', admins: 'admin' } as const

  it('maps each value of the claim through roleMap, once each, and ignores the rest', () => {
    expect(mapRoles({ groups: ['staff', 'sec-oncall', 'sec-audit', 'sec-oncall'] }, 'groups', roleMap)).toEqual(['responder', 'auditor'])
    expect(mapRoles({ groups: 'admins' }, 'groups', roleMap)).toEqual(['admin'])
    expect(mapRoles({ groups: ['staff'] }, 'groups', roleMap)).toEqual([])
    expect(mapRoles({ roles: ['admins'] }, 'groups', roleMap)).toEqual([])
  })

  it('takes no role from inherited names or non-strings', () => {
    expect(mapRoles({ groups: ['constructor', '__proto__', 'toString', 42, { admins: true }] }, 'groups', roleMap)).toEqual([])
  })
})

describe('console.oidc configuration', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lanyard-console-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const load = (yaml: string, env: Record<string, string> = {}) => {
    writeFileSync(join(dir, 'lanyard.yaml'), yaml)
    return loadConfig({ env, cwd: dir })
  }
  const oidc = (issuer: string) => `console:\n  oidc:\n    issuer: ${issuer}\n    clientId: lanyard\n    clientSecret: { env: SECRET }\n    redirectUri: https://lanyard.acme.dev/console/callback\n    roleMap: { sec: responder }\n`

  it('resolves the client secret, fills the claim defaults and keeps the secret out of print', () => {
    const config = load(oidc('https://login.acme.dev'), { SECRET: 'console-secret' })
    expect(config.console).toMatchObject({ sessionTtlSeconds: 28_800, oidc: { issuer: 'https://login.acme.dev', rolesClaim: 'groups', subjectClaim: 'email', roleMap: { sec: 'responder' }, allowPrivateNetwork: false } })
    expect(config.console.oidc?.clientSecret?.reveal()).toBe('console-secret')
    expect(JSON.stringify(config.console)).not.toContain('console-secret')
  })

  it('refuses plain http outside a sandbox, an unknown role, an empty map, and a missing secret, naming each field', () => {
    expect(() => load(oidc('http://login.acme.dev'), { SECRET: 's' })).toThrow(expect.objectContaining({ issues: ['console.oidc.issuer: expected https (plain http only with `sandbox: true`)'] }))
    expect(() => load(oidc('https://login.acme.dev').replace('responder', 'root'), { SECRET: 's' })).toThrow(expect.objectContaining({ issues: [expect.stringMatching(/^console\.oidc\.roleMap\.sec: /)] }))
    expect(() => load(oidc('https://login.acme.dev').replace('{ sec: responder }', '{}'), { SECRET: 's' })).toThrow(expect.objectContaining({ issues: ['console.oidc.roleMap: map at least one claim value to a role'] }))
    expect(() => load(oidc('https://login.acme.dev'))).toThrow(expect.objectContaining({ issues: ['console.oidc.clientSecret: environment variable SECRET is not set'] }))
  })
})
