import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it.each([
  ['a Cyrillic lookalike letter', 'оwner@acme.dev'],
  ['a zero-width space', 'ow\u200bner@acme.dev'],
  ['a right-to-left override', 'owner\u202e@acme.dev'],
  ['a Greek lookalike in the domain', 'owner@αcme.dev'],
])('refuses an owner with %s, creating nothing', async (_, owner) => {
  const response = await h.t.admin('POST', '/v1/agents', { handle: 'confusable-bot@agents.test.dev', owner })
  expect(response.status).toBe(400)
  expect(response.body).toMatchObject({ code: 'ERR_REQUEST_INVALID', errors: [expect.stringMatching(/^owner: /)] })
  expect((await h.t.admin('GET', '/v1/agents/confusable-bot@agents.test.dev')).status).toBe(404)
  await h.expectNothingMinted()
})

it('stores owners and handles in one form, so revoking the plain owner reaches every spelling', async () => {
  const spellings = ['Plain.Owner@Acme.dev', 'ｐｌａｉｎ.owner@acme.dev', 'plain.owner@acme.dev']
  const handles: string[] = []
  for (const [i, owner] of spellings.entries()) {
    const created = await h.t.admin('POST', '/v1/agents', { handle: `Spelling-${i}@Agents.Test.dev`, owner })
    expect(created.status).toBe(201)
    expect(created.body.owner).toBe('plain.owner@acme.dev')
    expect(created.body.handle).toBe(`spelling-${i}@agents.test.dev`)
    handles.push(created.body.handle)
  }
  // Two handles that differ only by case are one agent.
  expect((await h.t.admin('POST', '/v1/agents', { handle: 'SPELLING-0@agents.test.dev', owner: 'x@acme.dev' })).body.code).toBe('ERR_AGENT_EXISTS')
  const revoked = await h.t.admin('POST', '/v1/owners/PLAIN.OWNER@acme.dev/revoke', { reason: 'left the company' })
  expect(revoked.status).toBe(202)
  expect(revoked.body.revocations.map((r: { agent: { handle: string } }) => r.agent.handle).sort()).toEqual(handles.sort())
  for (const handle of handles) expect((await h.t.admin('GET', `/v1/agents/${handle}`)).body.status).toBe('revoked')
  await h.expectNothingMinted()
})
