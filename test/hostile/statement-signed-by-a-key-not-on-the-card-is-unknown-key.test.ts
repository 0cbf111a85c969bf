import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StatementUnverifiable, verifyAgentStatement } from '@lanyard/client'
import { createTestAgent, newKeyPair, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

// The broker has no key removal yet, so "a removed key" is played by a key that is not among
// the agent's keys on its card: what a removed key is, from the card's point of view.
describe('a statement signed by a key the card does not list answers unknown-key', () => {
  let t: TestBroker
  let agent: TestAgent
  beforeAll(async () => {
    t = await startTestBroker()
    agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
  })
  afterAll(() => t.close())

  const sign = (key: CryptoKey, kid: string, payload: Record<string, unknown> = { ticket: 'OPS-2' }) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'lanyard-statement+jwt', handle: agent.handle }).setIssuer(agent.handle).setIssuedAt().sign(key)

  it('a key that is not (or no longer) the agent\'s: unknown-key, with no payload handed back', async () => {
    const gone = await newKeyPair('EdDSA')
    const result = await verifyAgentStatement(await sign(gone.privateKey, gone.kid), { issuer: t.issuer })
    expect(result.verdict).toBe('unknown-key')
    expect(result.kid).toBe(gone.kid)
    expect(result.payload).toBeUndefined()
  })

  it('a stranger\'s key that borrows the agent\'s kid does not verify: signature-invalid', async () => {
    const stranger = await newKeyPair('EdDSA')
    const error = await verifyAgentStatement(await sign(stranger.privateKey, agent.kid), { issuer: t.issuer }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StatementUnverifiable)
    expect((error as StatementUnverifiable).reason).toBe('signature-invalid')
  })

  it('the agent\'s own key still verifies (the control)', async () => {
    expect((await verifyAgentStatement(await sign(agent.privateKey, agent.kid), { issuer: t.issuer })).verdict).toBe('valid')
  })
})
