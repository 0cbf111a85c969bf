import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StatementUnverifiable, createAgentClient, verifyAgentStatement } from '@lanyard/client'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

// Mallory is a real, public, active agent. She signs with her own key but names Alice in the
// header: the statement is checked against Alice's card, where Mallory's key is not.
describe('a statement whose header names another handle does not verify as that agent', () => {
  let t: TestBroker
  let alice: TestAgent
  let mallory: TestAgent
  beforeAll(async () => {
    t = await startTestBroker()
    alice = await createTestAgent(t)
    mallory = await createTestAgent(t)
    for (const a of [alice, mallory]) await t.admin('PUT', `/v1/agents/${a.handle}/presence`, { presence: 'public' })
  })
  afterAll(() => t.close())

  const forge = (header: Record<string, unknown>, iss: string) =>
    new SignJWT({ approve: 'PR-7' }).setProtectedHeader({ alg: 'EdDSA', kid: mallory.kid, typ: 'lanyard-statement+jwt', ...header }).setIssuer(iss).setIssuedAt().sign(mallory.privateKey)

  it('header and iss both name Alice: unknown-key (Mallory\'s key is not on Alice\'s card)', async () => {
    const result = await verifyAgentStatement(await forge({ handle: alice.handle }, alice.handle), { issuer: t.issuer })
    expect(result).toMatchObject({ verdict: 'unknown-key', handle: alice.handle, kid: mallory.kid })
  })

  it('header names Alice, iss stays Mallory: still unknown-key, never valid', async () => {
    const result = await verifyAgentStatement(await forge({ handle: alice.handle }, mallory.handle), { issuer: t.issuer })
    expect(result.verdict).toBe('unknown-key')
  })

  it('header names Mallory, iss names Alice: her key verifies, the iss does not match the header, malformed', async () => {
    const error = await verifyAgentStatement(await forge({ handle: mallory.handle }, alice.handle), { issuer: t.issuer }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StatementUnverifiable)
    expect((error as StatementUnverifiable).reason).toBe('malformed')
  })

  it('Mallory\'s honest statement verifies as Mallory (the control), and signStatement refuses to claim another iss', async () => {
    const client = createAgentClient({ brokerUrl: t.url, handle: mallory.handle, privateKey: mallory.privateKey })
    expect(await verifyAgentStatement(await client.signStatement({ approve: 'PR-7' }), { issuer: t.issuer })).toMatchObject({ verdict: 'valid', handle: mallory.handle })
    await expect(client.signStatement({ iss: alice.handle })).rejects.toThrow(TypeError)
  })
})
