import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitHubSandbox } from '@lanyard/sandbox'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker } from '../support/broker.js'
import { launchChromium } from './chromium.js'
import { ensureConsoleBuilt } from './console-build.js'

/**
 * The README's console screenshot (docs/console-agents.png): a sandbox broker with a few
 * agents, some holding GitHub grants, one revoked, seen by a responder. Run by hand:
 * `pnpm --filter @lanyard/test screenshot:console`.
 */
const out = fileURLToPath(new URL('../../docs/console-agents.png', import.meta.url))
ensureConsoleBuilt()
const github = await startGitHubSandbox()
const app = await github.createApp()
github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api', 'web'], permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' } })
const dir = mkdtempSync(join(tmpdir(), 'lanyard-shot-'))
writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
const t = await startTestBroker({ config: { sandbox: true, upstream: { allowInsecureUpstreamHttp: true }, systems: [{ name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url, retries: 0 }] } })
const browser = await launchChromium()
try {
  const binding = { system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:write', 'pull_requests:read', 'repo:api', 'repo:web'] }
  const agents = [
    ['release-bot@agents.acme.dev', 'maria@acme.dev', 2],
    ['triage-bot@agents.acme.dev', 'maria@acme.dev', 1],
    ['docs-writer@agents.acme.dev', 'sam@acme.dev', 1],
    ['dependabot-lite@agents.acme.dev', 'sam@acme.dev', 0],
    ['ci-fixer@agents.acme.dev', 'lee@acme.dev', 0],
  ] as const
  for (const [handle, owner, grants] of agents) {
    const agent = await createTestAgent(t, { handle, owner, bindings: [binding] })
    for (let i = 0; i < grants; i++) await agent.exchange('github-acme', i === 0 ? 'contents:read repo:api' : 'pull_requests:read repo:web', await agent.token())
  }
  await t.admin('POST', '/v1/agents/ci-fixer@agents.acme.dev/revoke', { reason: 'owner left' })
  await t.admin('POST', '/v1/agents/dependabot-lite@agents.acme.dev/suspend', { reason: 'under review' })
  const { body } = await t.admin('POST', '/v1/admins', { subject: 'rita@acme.dev', roles: ['responder'] })
  const page = await browser.newPage({ viewport: { width: 1200, height: 480 } })
  await page.goto(`${t.url}/console/`)
  await page.locator('input[name=token]').fill(body.token)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByTestId('agents').getByText('release-bot@agents.acme.dev').waitFor()
  await page.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await t.close()
  await github.close()
  rmSync(dir, { recursive: true, force: true })
}
