import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { readmeBlock, repositoryRoot, runReadmeBlock } from '../support/readme-block.js'

// The README's quickstart, run as written (octokit's readme-examples test): if a command in it
// breaks, this fails.
const root = repositoryRoot
const block = readmeBlock('README.md', 'quickstart')

describe('README quickstart', () => {
  let t: TestBroker
  let cwd: string
  beforeAll(async () => {
    // The quickstart's own configuration: lanyard.yaml at the repository root.
    const config = readFileSync(join(root, 'lanyard.yaml'), 'utf8')
    expect(config).toMatch(/name: scratch\n\s+type: memory/)
    t = await startTestBroker({ config: { systems: [{ name: 'scratch', type: 'memory' }] } })
    cwd = mkdtempSync(join(tmpdir(), 'lanyard-readme-'))
  })
  afterAll(async () => {
    await t.close()
    rmSync(cwd, { recursive: true, force: true })
  })

  it('runs every command as written, twice in a row against the same broker, leaving no key where it ran', { timeout: 300_000 }, async () => {
    expect(block).toBeDefined()
    const handles: string[] = []
    for (let run = 0; run < 2; run++) {
      // Asynchronously: the broker answering these commands runs in this very process.
      const result = await runReadmeBlock(block, { cwd, env: { ...process.env, LANYARD_CLI_SOURCE: '1', LANYARD_URL: t.url, LANYARD_ADMIN_TOKEN: t.adminToken }, timeoutMs: 120_000 })
      expect(result.stderr).toMatch(/invalid_scope/)
      const handle = /deploy-bot-\d+@agents\.acme\.dev/.exec(result.stdout)?.[0]
      expect(handle).toBeDefined()
      handles.push(handle!)
      expect(result.stdout).toMatch(/revoked/)
      expect(result.stdout + result.stderr).toMatch(/chain verified: \d+ event/)
      // The handle is per second: the next run must not fall in the same one.
      await new Promise((resolve) => setTimeout(resolve, 1100))
    }
    expect(new Set(handles).size).toBe(2)
    // The agent's private key went to a temporary folder, not where the commands ran.
    expect(readdirSync(cwd)).toEqual([])
  })
})
