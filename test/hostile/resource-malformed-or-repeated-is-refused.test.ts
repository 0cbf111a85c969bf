import { expect, it } from 'vitest'
import { jwtType, tokenExchange } from '../support/agent.js'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

async function exchangeRaw(body: string) {
  const response = await fetch(`${h.t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  return { status: response.status, body: (await response.json()) as { error: string; code: string } }
}

it.each([
  ['a NUL byte', 'urn:lanyard:system:mem%00'],
  ['a dot-dot segment', 'urn:lanyard:system:../mem'],
  ['upper case', 'urn:lanyard:system:MEM'],
  ['upper-case scheme', 'URN:lanyard:system:mem'],
  ['an https URL', 'https://mem.example/'],
  ['a trailing slash', 'urn:lanyard:system:mem/'],
])('answers invalid_target to a resource with %s', async (_, resource) => {
  const prefix = new URLSearchParams({ grant_type: tokenExchange, subject_token: await h.agent.token(), subject_token_type: jwtType }).toString()
  const response = await exchangeRaw(`${prefix}&resource=${resource.includes('%') ? resource : encodeURIComponent(resource)}`)
  expect(response.status).toBe(400)
  expect(response.body).toMatchObject({ error: 'invalid_target', code: 'ERR_TARGET_INVALID' })
  await h.expectNothingMinted()
})

it('answers invalid_target to two resource values, even two equal ones', async () => {
  const prefix = new URLSearchParams({ grant_type: tokenExchange, subject_token: await h.agent.token(), subject_token_type: jwtType }).toString()
  for (const pair of ['resource=urn:lanyard:system:mem&resource=urn:lanyard:system:mem', 'resource=urn:lanyard:system:mem&resource=urn:lanyard:system:other', 'audience=mem&audience=mem']) {
    const response = await exchangeRaw(`${prefix}&${pair}`)
    expect(response.body).toMatchObject({ error: 'invalid_target', code: 'ERR_TARGET_INVALID' })
  }
  await h.expectNothingMinted()
})
