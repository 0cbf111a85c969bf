import { createAgentClient, LanyardClientError } from '@lanyard/client'
import { githubHashedToken } from '@lanyard/sandbox'
import { exportJWK, generateKeyPair } from 'jose'
import type { Agent, AgentKey, Revocation, WhoisMatch } from '../admin-wire.js'
import { createAdminApi } from '../admin-api.js'
import { followRevocations, summary } from '../revocation-wait.js'
import { handlePath } from '../option-parsers.js'
import { LEDGER, OAUTH_CLIENT } from './demo-world.js'
import type { DemoWorld } from './demo-world.js'

const handle = 'deploy-bot@agents.demo.test'

/**
 * The quickstart, narrated: enrol an agent, bind two systems, exchange narrowed credentials
 * and use them upstream, trace one back from what GitHub's audit log shows, revoke the agent
 * and watch every credential stop working, verify the audit chain. Returns false if any
 * expectation failed (the demo doubles as a smoke test). Prints no token.
 */
export async function runDemoScenario(world: DemoWorld, say: (line: string) => void): Promise<boolean> {
  const { broker, github, oauth } = world
  const admin = createAdminApi({ url: broker.url, token: broker.adminToken })
  let ok = true
  const check = (condition: boolean, line: string) => {
    say(`   ${condition ? 'ok  ' : 'FAIL'} ${line}`)
    ok &&= condition
  }
  const repo = async (token: string, name: string) => (await fetch(`${github.url}/repos/acme/${name}`, { headers: { authorization: `token ${token}` } })).status

  say(`1. stand-ins: GitHub ${github.url} (App installed on acme: api, web), OAuth server ${oauth.issuer}`)
  say(`   broker ${broker.url}, embedded store in ${world.dataDir}`)

  say('2. admin enrols the agent')
  const agent = await admin.post<Agent>('/v1/agents', { handle, owner: 'security@demo.test', tier: 1, labels: { team: 'platform' } })
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const key = await admin.post<AgentKey>(`${handlePath(handle)}/keys`, { jwk: await exportJWK(publicKey) })
  say(`   created ${agent.handle} (owner ${agent.owner}); registered key ${key.kid} (${key.alg}, generated in memory)`)
  const githubCeiling = ['contents:read', 'metadata:read', 'repo:api', 'repo:web']
  const oauthCeiling = ['read', 'write', `resource:${LEDGER}`]
  await admin.post(`${handlePath(handle)}/bindings`, { system: 'github-acme', target: { account: 'acme' }, ceiling: githubCeiling })
  await admin.post(`${handlePath(handle)}/bindings`, { system: 'corp-idp', target: { clientId: OAUTH_CLIENT }, ceiling: oauthCeiling })
  say(`   bound github-acme, ceiling ${githubCeiling.join(' ')}`)
  say(`   bound corp-idp, ceiling ${oauthCeiling.join(' ')}`)

  say('3. the agent proves its handle (RFC 7523) and exchanges (RFC 8693) for narrowed credentials')
  const client = createAgentClient({ brokerUrl: broker.url, handle, privateKey: await exportJWK(privateKey) })
  await client.token()
  const gh = await client.exchange({ system: 'github-acme', scope: 'contents:read repo:api' })
  say(`   github-acme: grant ${gh.grant_id}, scope "${gh.scope}", expires ${gh.expiresAt.toISOString()}`)
  check((await repo(gh.access_token, 'api')) === 200, 'GET /repos/acme/api with it: 200')
  check((await repo(gh.access_token, 'web')) === 404, 'GET /repos/acme/web with it: 404 (not in the request, so not in the token)')
  const idp = await client.exchange({ system: 'corp-idp', scope: ['read', `resource:${LEDGER}`] })
  say(`   corp-idp: grant ${idp.grant_id}, scope "${idp.scope}"`)
  check((await oauth.inspect(idp.access_token)).active, `the ledger API accepts it`)
  const widened = await client.exchange({ system: 'github-acme', scope: 'contents:write repo:api' }).then(
    () => undefined,
    (error: unknown) => error,
  )
  check(widened instanceof LanyardClientError && widened.error === 'invalid_scope', `asking for contents:write is refused: ${widened instanceof Error ? widened.message : 'it was issued'}`)

  say("4. attribution: from what GitHub's audit log shows (hashed_token) back to the handle")
  const hashed = githubHashedToken(gh.access_token)
  const { matches } = await admin.get<{ matches: WhoisMatch[] }>('/v1/whois', { github_hashed_token: hashed })
  check(matches.length === 1 && matches[0]?.handle === handle, `hashed_token ${hashed} -> ${matches.map((m) => `${m.handle} (owner ${m.owner}, grant ${m.grant_id})`).join(', ') || 'nobody'}`)

  say('5. security revokes the agent: one call, every credential falls')
  const started = await admin.post<{ revocation: Revocation; agent: Agent }>(`${handlePath(handle)}/revoke`, { reason: 'demo: key presumed leaked' })
  const revocations = await followRevocations(admin, [started.revocation], 60_000, false)
  for (const line of summary(revocations).trimEnd().split('\n')) say(`   ${line}`)
  check((await repo(gh.access_token, 'api')) === 401, 'the GitHub token now gets 401')
  check(!(await oauth.inspect(idp.access_token)).active, 'the ledger API now rejects the OAuth token')
  const after = await createAgentClient({ brokerUrl: broker.url, handle, privateKey: await exportJWK(privateKey) }).token().then(
    () => undefined,
    (error: unknown) => error,
  )
  check(after instanceof LanyardClientError && after.error === 'invalid_grant', `the agent can no longer authenticate: ${after instanceof Error ? after.message : 'it could'}`)

  say('6. proof: the per-agent audit chain, verified')
  const audit = await admin.get<{ events: { action: string }[]; verification?: { ok: boolean; length?: number } }>(`${handlePath(handle)}/audit`, { verify: '1' })
  say(`   ${audit.events.map((e) => e.action).join(', ')}`)
  check(audit.verification?.ok === true, `hash chain verified over ${audit.verification?.length ?? '?'} events`)
  return ok
}
