import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker } from '../support/broker.js'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}.ts`, import.meta.url))

describe('connector plugins: loaded at start, checked against the contract', () => {
  it('loads a package that exports a ConnectorDefinition and exchanges through it', async () => {
    const t = await startTestBroker({ config: { systems: [{ name: 'tickets', type: fixture('tickets-connector') }] } })
    try {
      const systems = await t.admin('GET', '/v1/systems')
      expect(systems.body.systems).toEqual([expect.objectContaining({ name: 'tickets', type: 'lanyard-connector-tickets' })])
      const agent = await createTestAgent(t, { bindings: [{ system: 'tickets', target: { account: 'default' }, ceiling: ['read'] }] })
      expect((await agent.exchange('tickets', 'read')).status).toBe(200)
    } finally {
      await t.close()
    }
  })

  it.each([
    ['a package that is not installed', 'lanyard-connector-does-not-exist', /systems\[0\]\.type: connector "lanyard-connector-does-not-exist" is invalid: cannot be imported/],
    ['a package that exports no connector', 'semver', /connector "semver" is invalid: exports no ConnectorDefinition/],
    ['a connector written for another SDK', fixture('wrong-sdk-range'), /written for @lanyard\/connector-sdk \^9\.0\.0, this broker has 0\.1\.0/],
    ['a connector whose instance has no revoke', fixture('without-revoke'), /create\(\) returned an instance without "revoke\(\)"/],
    ['a connector whose exclusiveTargetKey is not a function', fixture('exclusive-key-not-a-function'), /member "exclusiveTargetKey" must be a function of the target/],
  ])('refuses to start with %s, naming the package and the problem', async (_name, type, message) => {
    await expect(startTestBroker({ config: { systems: [{ name: 'x', type }] } })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(message) })
  })

  it("refuses unknown fields of a connector's config, naming the full path", async () => {
    await expect(startTestBroker({ config: { systems: [{ name: 'ok', type: 'memory' }, { name: 'bad', type: 'memory', latencyMs: -1, colour: 'red' }] } })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/systems\[1\][^\n]*latencyMs[\s\S]*systems\[1\][^\n]*colour|systems\[1\][^\n]*colour[\s\S]*systems\[1\][^\n]*latencyMs/),
    })
  })
})
