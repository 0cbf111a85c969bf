import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { githubHashedToken, startGitHubSandbox, startSignInSandbox, type GitHubSandbox, type SignInSandbox } from '@lanyard/sandbox'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { launchChromium } from './chromium.js'
import { artifactsDir, ensureConsoleBuilt } from './console-build.js'

/**
 * The console in a real browser (#18): sign in with a named admin token, find an agent by the
 * GitHub `hashed_token` of a credential it holds, revoke it through the dry run and the typed
 * confirmation, watch the cascade reach full dark, verify the signed receipt; an auditor sees
 * no revoke button and is refused (403) when it calls the API anyway.
 */
// The console's public address as the OpenID Provider knows it; the browser's request to it is
// handed to the broker (a proxy in front of the broker in production).
const publicCallback = 'http://console.lanyard.test/console/callback'

describe('console', () => {
  let github: GitHubSandbox
  let idp: SignInSandbox
  let t: TestBroker
  let browser: Browser
  let dir: string
  let victim: TestAgent
  /** A sub-agent the victim spawned: the tree cut reaches it. */
  let child: string
  let bystander: TestAgent
  let ghToken: string
  const tokens: Record<string, string> = {}
  const problems: string[] = []

  beforeAll(async () => {
    ensureConsoleBuilt()
    mkdirSync(artifactsDir, { recursive: true })
    github = await startGitHubSandbox()
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api'], permissions: { contents: 'write', metadata: 'read' } })
    dir = mkdtempSync(join(tmpdir(), 'lanyard-console-'))
    writeFileSync(join(dir, 'app.pem'), app.privateKeyPem, { mode: 0o600 })
    idp = await startSignInSandbox({
      clients: [{ clientId: 'lanyard-console', clientSecret: 'console-secret-0123456789', redirectUris: [publicCallback] }],
      users: { alice: { email: 'alice@acme.test', groups: ['staff', 'sec-responders'] } },
    })
    t = await startTestBroker({
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [{ name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dir, 'app.pem') }, baseUrl: github.url, retries: 0 }],
        console: { oidc: { issuer: idp.issuer, clientId: 'lanyard-console', clientSecret: { env: 'CONSOLE_SECRET' }, redirectUri: publicCallback, rolesClaim: 'groups', roleMap: { 'sec-responders': 'responder' } } },
      },
      env: { CONSOLE_SECRET: 'console-secret-0123456789' },
    })
    for (const [subject, role] of [['rita@acme.dev', 'responder'], ['audrey@acme.dev', 'auditor']] as const) {
      const created = await t.admin('POST', '/v1/admins', { subject, roles: [role] })
      expect(created.status).toBe(201)
      tokens[role] = created.body.token
    }
    const binding = { system: 'github-acme', target: { account: 'acme' }, ceiling: ['contents:read', 'repo:api'] }
    victim = await createTestAgent(t, { bindings: [{ ...binding, delegable: true }] })
    const spawned = await t.admin('POST', `/v1/agents/${victim.handle}/children`, { name: 'helper', ceilings: { 'github-acme': ['contents:read'] } })
    expect(spawned.status).toBe(201)
    child = spawned.body.handle
    bystander = await createTestAgent(t, { bindings: [binding] })
    const exchanged = await victim.exchange('github-acme', 'contents:read repo:api', await victim.token())
    expect(exchanged.status).toBe(200)
    ghToken = exchanged.body.access_token
    // A relying party that answers nothing useful: its deliveries show on the Webhooks page.
    expect((await t.admin('POST', '/v1/webhooks', { url: `${github.url}/hooks/lanyard` })).status).toBe(201)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
    await github?.close()
    await idp?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  /** A fresh browser context signed in with `role`'s named admin token, watching for CSP and script errors. */
  async function signIn(role: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) problems.push(`console: ${message.text()} ${message.location().url}`)
    })
    await page.goto(`${t.url}/console/`)
    await page.locator('input[name=token]').fill(tokens[role]!)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByTestId('who').waitFor()
    return page
  }

  it('signs in through the OpenID Provider (code + PKCE) and lands on the console as the mapped role', async () => {
    idp.signInAs('alice')
    const context = await browser.newContext()
    const page = await context.newPage()
    await context.route(`${publicCallback}**`, (route) => route.fulfill({ status: 302, headers: { location: `${t.url}/console/callback${new URL(route.request().url()).search}` } }))
    await page.goto(`${t.url}/console/`)
    await page.screenshot({ path: join(artifactsDir, 'sign-in.png') })
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click()
    await page.getByTestId('who').waitFor()
    expect(page.url()).toBe(`${t.url}/console/`)
    expect((await context.cookies()).find((c) => c.name === 'lanyard_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(await page.getByTestId('who').textContent()).toBe('alice@acme.test (responder)')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    // Cookies are not scoped by port: the provider's, also on 127.0.0.1, stay.
    expect((await context.cookies()).filter((c) => c.name === 'lanyard_session')).toEqual([])
    await context.close()
  })

  it('serves the console with a strict CSP and no inline script', async () => {
    const response = await fetch(`${t.url}/console/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await response.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/\sstyle=/)
  })

  it('signs a responder in, finds the agent by hashed_token, revokes it through the dry run to full dark, and verifies the receipt', async () => {
    const page = await signIn('responder')
    await expect.poll(() => page.getByTestId('who').textContent()).toContain('rita@acme.dev (responder)')
    // The session cookie: HttpOnly, SameSite=Strict, not Secure on loopback.
    const [cookie] = await page.context().cookies()
    expect(cookie).toMatchObject({ name: 'lanyard_session', httpOnly: true, sameSite: 'Strict', secure: false })
    await page.getByTestId('agents').getByText(bystander.handle).waitFor()
    await page.screenshot({ path: join(artifactsDir, 'agents.png'), fullPage: true })

    await page.locator('input[name=search]').fill(githubHashedToken(ghToken))
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.getByTestId('whois-result').textContent()).toContain(victim.handle)
    const rows = page.getByTestId('agents').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(1)
    await rows.getByRole('link', { name: victim.handle }).click()

    await expect.poll(() => page.getByTestId('audit-badge').textContent()).toMatch(/^verified/)
    await expect.poll(() => page.getByTestId('grants').locator('tbody tr').count()).toBe(1)
    await expect.poll(() => page.getByTestId('children').locator('tbody tr').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${child.replace(/\./g, '\\.')}active`))])
    await page.screenshot({ path: join(artifactsDir, 'agent.png'), fullPage: true })

    await page.getByTestId('revoke').click()
    const plan = page.getByTestId('revoke-plan')
    await expect.poll(() => plan.getByTestId('mechanism').allTextContents()).toEqual([expect.stringMatching(/DELETE \/installation\/token.*immediate/)])
    expect(await plan.getByTestId('last-credential').textContent()).toMatch(/1 grant\(s\)\. The last credential dies/)
    const confirm = page.getByRole('button', { name: `Revoke ${victim.handle}` })
    await page.locator('input[name=reason]').fill('laptop stolen')
    await page.locator('input[name=confirm]').fill(victim.handle.slice(0, -1))
    expect(await confirm.isDisabled()).toBe(true)
    await page.screenshot({ path: join(artifactsDir, 'revoke-plan.png'), fullPage: true })
    await page.locator('input[name=confirm]').fill(victim.handle)
    await confirm.click()

    await expect.poll(() => page.getByTestId('progress-status').textContent(), { timeout: 20_000 }).toMatch(/^Full dark at .*\((stream|polling)\)/)
    expect(await page.getByTestId('progress').locator('li.task').allTextContents()).toEqual([expect.stringMatching(/github-acme: done \(revoked\)/)])
    expect(github.tokenState(ghToken)).toBe('revoked')
    // The page reads the agent again once dark: revoked, nothing live; the plan's receipt stays.
    await expect.poll(() => page.getByTestId('agent-status').textContent()).toBe('revoked')
    await expect.poll(() => page.getByTestId('grants').locator('tbody tr').count()).toBe(0)
    // The cut reached the sub-agent too.
    await expect.poll(() => page.getByTestId('children').locator('tbody tr').allTextContents()).toEqual([expect.stringContaining(`${child}revoked`)])
    await page.getByTestId('receipt').getByRole('button', { name: 'Verify' }).click()
    await expect.poll(() => page.getByTestId('receipt-verdict').textContent()).toMatch(/^Verified: signature verified/)
    await page.screenshot({ path: join(artifactsDir, 'revoke-done.png'), fullPage: true })

    const revoked = await t.admin('GET', `/v1/agents/${victim.handle}`)
    expect(revoked.body.status).toBe('revoked')
    const audit = await t.admin('GET', `/v1/agents/${victim.handle}/audit`)
    expect(audit.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'agent.revoked', actor: expect.stringContaining('rita@acme.dev') })]))

    await page.goto(`${t.url}/console/#/revocations`)
    await page.getByText('laptop stolen').first().waitFor()
    // The history lists the sub-agent's own job too, though it had no task (GET /v1/revocations).
    const history = await page.locator('table tbody tr').allTextContents()
    expect(history.filter((row) => row.includes(victim.handle) && !row.includes(child))).toHaveLength(1)
    expect(history.filter((row) => row.includes(child))).toHaveLength(1)
    await page.screenshot({ path: join(artifactsDir, 'revocations.png'), fullPage: true })
    await page.goto(`${t.url}/console/#/webhooks`)
    await page.getByText(`${github.url}/hooks/lanyard`).waitFor()
    await expect.poll(async () => { await page.reload(); return page.locator('tbody tr').count() }, { timeout: 15_000 }).toBeGreaterThan(0)
    await page.screenshot({ path: join(artifactsDir, 'webhooks.png'), fullPage: true })
    await page.goto(`${t.url}/console/#/approvals`)
    await page.getByText('Nothing waits for a decision.').waitFor()
    await page.screenshot({ path: join(artifactsDir, 'approvals.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.context().close()
  })

  it('shows an auditor no revoke button, and the broker refuses it with 403 when it calls anyway', async () => {
    const page = await signIn('auditor')
    await page.goto(`${t.url}/console/#/agents/${encodeURIComponent(bystander.handle)}`)
    await expect.poll(() => page.getByTestId('audit-badge').textContent()).toMatch(/^verified/)
    expect(await page.getByTestId('revoke').count()).toBe(0)
    await page.goto(`${t.url}/console/#/owners`)
    await page.getByText('owner@acme.dev').first().waitFor()
    expect(await page.getByRole('button', { name: 'Revoke all…' }).count()).toBe(0)
    await page.screenshot({ path: join(artifactsDir, 'owners-auditor.png'), fullPage: true })

    const answer = await page.evaluate(async (handle) => {
      const response = await fetch(`/v1/agents/${encodeURIComponent(handle)}/revoke`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Lanyard-CSRF': '1' }, body: JSON.stringify({ reason: 'should not work' }) })
      return { status: response.status, type: response.headers.get('content-type'), body: await response.json() }
    }, bystander.handle)
    expect(answer).toMatchObject({ status: 403, body: { code: 'ERR_ROLE_REQUIRED' } })
    expect(answer.type).toContain('application/problem+json')
    expect(answer.body.requiredRoles).toEqual(expect.arrayContaining(['admin', 'responder']))
    expect((await t.admin('GET', `/v1/agents/${bystander.handle}`)).body.status).toBe('active')
    expect(problems).toEqual([])
    await page.context().close()
  })
})
