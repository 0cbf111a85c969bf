import { StoreUnavailable } from '@lanyard/core'
import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'
import { eventually } from '../support/memory.js'

const h = hostileBroker()

it('answers /readyz 503 while the store reads but cannot commit a write, and 200 once it can', async () => {
  expect((await fetch(`${h.t.url}/readyz`)).status).toBe(200)
  const { store } = h.t.broker
  const useOnce = store.useOnce.bind(store)
  // A full disk: reads (ping) still answer, every write fails.
  store.useOnce = () => Promise.reject(new StoreUnavailable({ detail: 'disk full' }))
  try {
    await eventually(async () => (await fetch(`${h.t.url}/readyz`)).status === 503, 10_000)
    await store.ping()
    const refused = await fetch(`${h.t.url}/readyz`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toEqual({ status: 'unavailable', reason: 'store' })
  } finally {
    store.useOnce = useOnce
  }
  await eventually(async () => (await fetch(`${h.t.url}/readyz`)).status === 200, 10_000)
  await h.expectNothingMinted()
})

it('commits at most one write per interval, however often it is probed', async () => {
  const { store } = h.t.broker
  const useOnce = store.useOnce.bind(store)
  let writes = 0
  store.useOnce = (...args) => {
    writes += 1
    return useOnce(...args)
  }
  try {
    await Promise.all(Array.from({ length: 50 }, () => fetch(`${h.t.url}/readyz`)))
    expect(writes).toBeLessThanOrEqual(1)
  } finally {
    store.useOnce = useOnce
  }
})
