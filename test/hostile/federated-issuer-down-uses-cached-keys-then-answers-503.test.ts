import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

// Keys are trusted for one second; a hung issuer is given one second per call; after a failure
// the issuer is left alone for ten.
const f = federatedBroker({ federation: { cacheMaxAgeSeconds: 1, timeoutMs: 1000, failureBackoffSeconds: 10 } })

it('keeps signing in on cached keys while the issuer is down, then answers 503 within 5 s without a retry storm', async () => {
  await f.agentTrusting(githubRule())
  const token = () => f.github.token(brokerAudience, { repository: 'acme/api' })
  expect((await f.signIn(await token())).status).toBe(200)

  // (1) Down, keys still within their cache age: used as they are, nobody asked.
  f.github.setFault('hang')
  const asked = f.github.keyRequests
  expect((await f.signIn(await token())).status).toBe(200)
  expect(f.github.keyRequests).toBe(asked)

  // (2) Past the cache age: one bounded attempt, then 503 temporarily_unavailable, well within 5 s.
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const started = Date.now()
  const down = await f.signIn(await token())
  expect(Date.now() - started).toBeLessThan(5000)
  expect(down.status).toBe(503)
  expect(down.body.error).toBe('temporarily_unavailable')
  expect(down.headers.get('retry-after')).toBeTruthy()

  // (3) Backing off: a burst of sign-ins is refused at once and the issuer sees no new request.
  const afterFailure = f.github.keyRequests
  const burstStarted = Date.now()
  const burst = await Promise.all(Array.from({ length: 10 }, async () => f.signIn(await token())))
  expect(burst.every((r) => r.status === 503)).toBe(true)
  expect(Date.now() - burstStarted).toBeLessThan(2000)
  expect(f.github.keyRequests).toBe(afterFailure)

  // (4) The error issuer (503 at once rather than a hang) is refused the same way.
  f.github.setFault('error')
  expect((await f.signIn(await token())).status).toBe(503)
  await f.expectNothingMinted()
})
