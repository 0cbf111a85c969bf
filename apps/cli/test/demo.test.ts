import { expect, it } from 'vitest'
import { runCli } from './run-cli.js'

it('demo: the quickstart runs end to end against the stand-ins, every step as narrated, no token printed', { timeout: 30_000 }, async () => {
  const result = await runCli(['demo'])
  expect(result.code).toBe(0)
  expect(result.stdout).not.toMatch(/^ {3}FAIL /m)
  expect(result.stdout).toMatch(/^ {3}ok {3}GET \/repos\/acme\/web with it: 404/m)
  expect(result.stdout).toMatch(/^ {3}corp-idp +1 +0 +0 +0 +0$/m)
  expect(result.stdout).toMatch(/^ {3}github-acme +1 +0 +0 +0 +0$/m)
  expect(result.stdout).toMatch(/^ {3}ok {3}the GitHub token now gets 401$/m)
  expect(result.stdout).toMatch(/^ {3}ok {3}hash chain verified over \d+ events$/m)
  expect(result.stdout).toMatch(/\ndone: /)
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/ghs_|lyd_admin_|eyJ[\w-]+\.eyJ/)
})
