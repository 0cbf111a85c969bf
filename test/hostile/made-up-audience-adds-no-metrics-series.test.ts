import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { jwtType, tokenExchange } from '../support/agent.js'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

const metrics = async () => (await (await fetch(`${h.t.url}/metrics`)).text()).split('\n').filter((line) => line.startsWith('lanyard_'))

it('refuses exchanges for made-up audiences without adding a series per value', async () => {
  const invented = () => `made-up-${randomUUID().slice(0, 8)}`
  // One exchange for an unknown system first, so its series exists before the count is taken.
  await h.t.form('/oauth/token', { grant_type: tokenExchange, subject_token: 'x', subject_token_type: jwtType, audience: invented() })
  await metrics()
  const before = await metrics()
  const names: string[] = []
  for (let i = 0; i < 20; i += 1) {
    const audience = invented()
    names.push(audience)
    const response = await h.t.form('/oauth/token', { grant_type: tokenExchange, subject_token: 'not-a-token', subject_token_type: jwtType, audience })
    expect(response.body.error).toBe('invalid_request')
    expect(response.body.code).toBe('ERR_TOKEN_INVALID')
  }
  const after = await metrics()
  expect(after.length).toBe(before.length)
  for (const name of names) expect(after.join('\n')).not.toContain(name)
  await h.expectNothingMinted()
})
