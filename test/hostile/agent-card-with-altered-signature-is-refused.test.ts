import { SignJWT, decodeJwt, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StatementUnverifiable, createAgentClient, verifyAgentStatement } from '@lanyard/client'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

describe('an agent card whose signature is altered is refused as card-invalid', () => {
  let t: TestBroker
  let agent: TestAgent
  let card: string
  let statement: string
  beforeAll(async () => {
    t = await startTestBroker()
    agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
    card = await (await fetch(`${t.url}/agents/${agent.handle}/card`)).text()
    statement = await createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: agent.privateKey }).signStatement({ ticket: 'OPS-1' })
  })
  afterAll(() => t.close())

  async function refusal(forged: string) {
    const error = await verifyAgentStatement(statement, { issuer: t.issuer, card: forged }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StatementUnverifiable)
    return (error as StatementUnverifiable).reason
  }

  it('the genuine card verifies (the control)', async () => {
    expect((await verifyAgentStatement(statement, { issuer: t.issuer, card })).verdict).toBe('valid')
  })

  it('a flipped signature byte', async () => {
    const [h, p, s] = card.split('.') as [string, string, string]
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
    expect(await refusal(`${h}.${p}.${flipped}`)).toBe('card-invalid')
  })

  it('the payload rewritten under the broker\'s signature (a key slipped into the card)', async () => {
    const [h, , s] = card.split('.') as [string, string, string]
    const claims = decodeJwt(card) as Record<string, unknown>
    const rewritten = { ...claims, jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'attacker', alg: 'EdDSA' }] }, status: 'active' }
    const p = Buffer.from(JSON.stringify(rewritten)).toString('base64url')
    expect(await refusal(`${h}.${p}.${s}`)).toBe('card-invalid')
  })

  it('a card signed by a key that is not the broker\'s, with the right typ, kid and claims', async () => {
    const claims = decodeJwt(card)
    const { privateKey } = await generateKeyPair('ES256')
    const header = JSON.parse(Buffer.from(card.split('.')[0]!, 'base64url').toString()) as { kid: string }
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: header.kid, typ: 'lanyard-agent-card+jwt' }).sign(privateKey)
    expect(await refusal(forged)).toBe('card-invalid')
  })

  it('a genuine broker JWT of another kind is not a card', async () => {
    const token = await agent.token()
    expect(await refusal(token)).toBe('card-invalid')
  })
})
