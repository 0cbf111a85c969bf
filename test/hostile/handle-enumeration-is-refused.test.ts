import { SignJWT } from 'jose'
import { expect, it } from 'vitest'
import { newKeyPair } from '../support/agent.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('gives an unknown handle, an unknown kid and a bad signature one answer', async () => {
  const stranger = await newKeyPair()
  const now = Math.floor(Date.now() / 1000)
  const signed = (handle: string, kid: string) =>
    new SignJWT({ iss: handle, sub: handle, aud: h.t.issuer, iat: now, exp: now + 60, jti: `enum-${Math.random()}` }).setProtectedHeader({ alg: 'EdDSA', kid }).sign(stranger.privateKey)
  const answers = [
    // (1) a handle that does not exist
    await h.t.form('/oauth/token', jwtBearerForm(await signed('nobody-here@agents.test.dev', stranger.kid))),
    // (2) an existing handle, a key it never registered (unknown kid)
    await h.t.form('/oauth/token', jwtBearerForm(await signed(h.agent.handle, stranger.kid))),
    // (3) an existing handle and its own kid, a signature by another key
    await h.t.form('/oauth/token', jwtBearerForm(await signed(h.agent.handle, h.agent.kid))),
  ]
  for (const answer of answers) {
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'assertion is invalid: signature does not verify', code: 'ERR_ASSERTION_INVALID' })
  }
  await h.expectNothingMinted()
})
