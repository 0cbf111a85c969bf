import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readmeBlock, runReadmeBlock } from '../support/readme-block.js'

// Each connector README's "Try it against the sandbox" section, run as written: `lanyard
// sandbox`, `lanyard serve` on its configuration, enrol, bind, exchange, revoke (each on its own
// port, so the three never collide; not in the Redis project, which would run them twice).
describe('connector READMEs: "Try it against the sandbox", verbatim', () => {
  let cwd: string
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'lanyard-sandbox-readme-'))
  })
  afterAll(() => rmSync(cwd, { recursive: true, force: true }))

  // Only what a user's shell has: no LANYARD_* of the test run (the block sets its own).
  const env = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, TMPDIR: tmpdir(), LANYARD_CLI_SOURCE: '1' })

  for (const [connector, system, issued] of [
    ['github', 'github-sandbox', /"access_token": "ghs_/],
    ['aws', 'aws-sandbox', /"access_key_id": "ASIA/],
    ['oauth', 'oauth-sandbox', /"access_token": "/],
  ] as const) {
    it(`packages/connector-${connector}/README.md runs as written`, { timeout: 240_000 }, async () => {
      const block = readmeBlock(`packages/connector-${connector}/README.md`, 'sandbox')
      const result = await runReadmeBlock(block, { cwd, env: env(), timeoutMs: 200_000 })
      expect(result.stdout).toMatch(new RegExp(`^${system} +${connector} +ok `, 'm'))
      expect(result.stdout).toMatch(issued)
      expect(result.stdout).toMatch(new RegExp(`${system}`))
      expect(result.stdout).toMatch(/full dark/)
    })
  }
})
