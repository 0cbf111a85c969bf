import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtBearer, newKeyPair, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

describe('agent keys: removal and rotation', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['write'] }

  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
  })
  afterAll(() => t.close())

  /** Authenticates `agent`'s handle with another key pair of its own. */
  async function authenticateWith(agent: TestAgent, pair: Awaited<ReturnType<typeof newKeyPair>>) {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({ iss: agent.handle, sub: agent.handle, aud: t.issuer, iat: now, exp: now + 60, jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: pair.kid })
      .sign(pair.privateKey)
    return t.form('/oauth/token', { grant_type: jwtBearer, assertion })
  }

  it('removing a key bumps the generation: handle tokens obtained before stop exchanging, the removed key stops authenticating', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const oldToken = await agent.token()
    expect((await agent.exchange('mem', 'read', oldToken)).status).toBe(200)
    const before = (await t.admin('GET', `/v1/agents/${agent.handle}`)).body

    // Rotation: add the new key, then remove the old one.
    const next = await newKeyPair()
    expect((await t.admin('POST', `/v1/agents/${agent.handle}/keys`, { jwk: next.publicJwk })).status).toBe(201)
    const removed = await t.admin('DELETE', `/v1/agents/${agent.handle}/keys/${agent.kid}`)
    expect(removed.status).toBe(200)
    expect(removed.body).toMatchObject({ removed: agent.kid, agent: { handle: agent.handle, generation: before.generation + 1 } })

    const stale = await agent.exchange('mem', 'read', oldToken)
    expect(stale.status).not.toBe(200)
    expect(stale.body.error_description).toMatch(/authenticate again/)
    const withOldKey = await t.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })
    expect(withOldKey.status).toBe(400)
    expect(withOldKey.body.error).toBe('invalid_grant')

    const fresh = await authenticateWith(agent, next)
    expect(fresh.status).toBe(200)
    expect((await agent.exchange('mem', 'read', fresh.body.access_token)).status).toBe(200)
    const shown = await t.admin('GET', `/v1/agents/${agent.handle}`)
    expect(shown.body.keys.map((k: { kid: string }) => k.kid)).toEqual([next.kid])
    const events = (await t.admin('GET', `/v1/agents/${agent.handle}/audit`)).body.events as Array<{ action: string; details: Record<string, unknown> }>
    expect(events.find((e) => e.action === 'key.removed')?.details).toEqual({ kid: agent.kid })
  })

  it('removing the last key is allowed and leaves the agent unable to authenticate; an unknown kid is 404', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const token = await agent.token()
    expect((await t.admin('DELETE', `/v1/agents/${agent.handle}/keys/${agent.kid}`)).status).toBe(200)
    expect((await t.admin('GET', `/v1/agents/${agent.handle}`)).body.keys).toEqual([])
    expect((await t.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })).body.error).toBe('invalid_grant')
    expect((await agent.exchange('mem', 'read', token)).status).not.toBe(200)

    const unknown = await t.admin('DELETE', `/v1/agents/${agent.handle}/keys/${agent.kid}`)
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('ERR_KEY_NOT_FOUND')
    expect((await t.admin('DELETE', `/v1/agents/nobody@agents.test.dev/keys/${agent.kid}`)).body.code).toBe('ERR_AGENT_NOT_FOUND')
  })
})
