import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('accepts an assertion once and refuses its replay, even concurrently', async () => {
  const assertion = await h.agent.assertion({ jti: 'once-only' })
  const results = await Promise.all(Array.from({ length: 8 }, () => h.t.form('/oauth/token', jwtBearerForm(assertion))))
  expect(results.filter((r) => r.status === 200)).toHaveLength(1)
  for (const r of results.filter((r) => r.status !== 200)) {
    expect(r.body.error).toBe('invalid_grant')
    expect(r.body.error_description).toMatch(/already used/)
  }
})
