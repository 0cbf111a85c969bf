import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { createTestAgent, newKeyPair, uniqueHandle } from '../support/agent.js'
import { startTestBroker, storeEnv } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

const h = hostileBroker()

it('an agent labelled require-dpop cannot sign in without a proof', async () => {
  const handle = uniqueHandle('strict')
  expect((await h.t.admin('POST', '/v1/agents', { handle, owner: 'owner@acme.dev', labels: { 'require-dpop': 'true' } })).status).toBe(201)
  const pair = await newKeyPair()
  expect((await h.t.admin('POST', `/v1/agents/${handle}/keys`, { jwk: pair.publicJwk })).status).toBe(201)
  const assertion = () => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ iss: handle, sub: handle, aud: h.t.issuer, iat: now, exp: now + 60, jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'EdDSA', kid: pair.kid }).sign(pair.privateKey)
  }
  const unbound = await h.t.form('/oauth/token', jwtBearerForm(await assertion()))
  expect(unbound.status).toBe(400)
  expect(unbound.body.error).toBe('invalid_dpop_proof')
  expect(unbound.body.error_description).toMatch(/required/)
  // With a proof it signs in, bound.
  const key = await newDpopKey()
  const bound = await h.t.form('/oauth/token', jwtBearerForm(await assertion()), { DPoP: await key.proof(`${h.t.issuer}/oauth/token`) })
  expect(bound.status).toBe(200)
  expect(bound.body.token_type).toBe('DPoP')
  await h.expectNothingMinted()
})

it('once dpop.requireDpop is set, a bearer handle token minted before exchanges nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lanyard-dpop-'))
  const mem = memorySystem('mem')
  const adminToken = `admin-${crypto.randomUUID()}`
  try {
    // One deployment, restarted with the setting: same data, same public name.
    const issuer = 'https://lanyard.dpop.test'
    // On Redis the data is the key prefix, not the folder: both starts share one.
    const store = storeEnv().LANYARD_REDIS_URL === undefined ? {} : { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: `lanyard-dpop-${crypto.randomUUID()}` } }
    const before = await startTestBroker({ dataDir, adminToken, config: { issuer, systems: [mem.system], ...store } })
    const agent = await createTestAgent(before, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
    const token = await agent.token()
    await before.close()
    const after = await startTestBroker({ dataDir, adminToken, config: { issuer, systems: [mem.system], dpop: { requireDpop: true }, ...store } })
    try {
      const direct = await after.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', resource: 'urn:lanyard:system:mem' })
      expect(direct.status).toBe(400)
      expect(direct.body.error).toBe('invalid_dpop_proof')
      expect(direct.body.error_description).toMatch(/DPoP-bound/)
      expect(mem.upstream.liveCount()).toBe(0)
      expect((await after.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants).toEqual([])
    } finally {
      await after.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
