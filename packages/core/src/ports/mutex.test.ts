import { describe, expect, it } from 'vitest'
import { createLocalMutex } from './mutex.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))
const hold = { leaseMs: 60_000, waitMs: 1_000 }

describe('createLocalMutex', () => {
  it('runs holders of one key one after another, in arrival order, and of different keys at once', async () => {
    const mutex = createLocalMutex()
    const log: string[] = []
    const worker = (key: string, name: string) =>
      mutex.hold(key, hold, async () => {
        log.push(`${name} in`)
        await tick()
        await tick()
        log.push(`${name} out`)
        return name
      })
    const results = await Promise.all([worker('role-a', 'a1'), worker('role-a', 'a2'), worker('role-b', 'b1'), worker('role-a', 'a3')])
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3'])
    const a = log.filter((line) => line.startsWith('a'))
    expect(a).toEqual(['a1 in', 'a1 out', 'a2 in', 'a2 out', 'a3 in', 'a3 out'])
    // b1 ran while a1 held role-a.
    expect(log.indexOf('b1 in')).toBeLessThan(log.indexOf('a1 out'))
  })

  it('releases the key when work throws, and passes the error on', async () => {
    const mutex = createLocalMutex()
    await expect(mutex.hold('k', hold, () => Promise.reject(new Error('upstream said no')))).rejects.toThrow('upstream said no')
    await expect(mutex.hold('k', hold, async () => 'next')).resolves.toBe('next')
  })

  it('gives up after waitMs with a retryable StoreUnavailable, without running work, and keeps the order for those behind', async () => {
    const mutex = createLocalMutex()
    let finish!: () => void
    const first = mutex.hold('k', hold, () => new Promise<string>((resolve) => (finish = () => resolve('first'))))
    let ran = false
    const impatient = mutex.hold('k', { leaseMs: 60_000, waitMs: 20 }, async () => {
      ran = true
    })
    const patient = mutex.hold('k', hold, async () => 'patient')
    await expect(impatient).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    expect(ran).toBe(false)
    let patientDone = false
    void patient.then(() => (patientDone = true))
    await tick()
    expect(patientDone).toBe(false)
    finish()
    await expect(first).resolves.toBe('first')
    await expect(patient).resolves.toBe('patient')
  })
})
