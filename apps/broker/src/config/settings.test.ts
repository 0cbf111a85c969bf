import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaults } from './defaults.js'
import { loadConfig } from './load.js'
import { lanyardSettings } from './settings.js'

describe('lanyardSettings', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lanyard-settings-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const settingsOf = (yaml: string) => {
    writeFileSync(join(dir, 'lanyard.yaml'), yaml)
    return lanyardSettings(loadConfig({ env: {}, cwd: dir }), 'https://lanyard.example')
  }

  it('gives upstream.timeoutMs to the exchange and to the cascade alike', () => {
    const settings = settingsOf('upstream:\n  timeoutMs: 1234\n')
    expect(settings.upstreamTimeoutMs).toBe(1234)
    expect(settings.cascade.upstreamTimeoutMs).toBe(1234)
  })

  it('fills every setting the file leaves out from the schema defaults', () => {
    const settings = settingsOf('cascade:\n  concurrency: 3\n')
    expect(settings).toMatchObject({
      handleTokenTtlSeconds: defaults.handleTokenTtlSeconds,
      maxCredentialTtlSeconds: defaults.maxCredentialTtlSeconds,
      upstreamTimeoutMs: defaults.upstreamTimeoutMs,
      rateLimits: defaults.rateLimits,
      cascade: { ...defaults.cascade, concurrency: 3, upstreamTimeoutMs: defaults.upstreamTimeoutMs, pendingRecheckMs: defaults.pendingRecheckMs },
    })
  })
})
