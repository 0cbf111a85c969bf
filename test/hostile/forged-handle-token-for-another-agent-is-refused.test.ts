import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it("refuses agent A's handle token with its subject rewritten to agent B", async () => {
  const [header, payload, signature] = (await h.agent.token()).split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
  const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: h.other.handle })).toString('base64url'), signature].join('.')
  const response = await h.other.exchange('mem', 'read', forged)
  expect(response.body.error).toBe('invalid_request')
  expect(response.body.error_description).toMatch(/signature or format is invalid/)
  await h.expectNothingMinted()
})
