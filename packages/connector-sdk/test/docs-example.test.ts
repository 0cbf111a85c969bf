import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryUpstream, SecretValue } from '@lanyard/connector-sdk'
import type { Clock, ConnectorDefinition, MemoryUpstream } from '@lanyard/connector-sdk'
import { runConformance } from '@lanyard/connector-sdk/testing'

// The "write a connector" example in docs/connectors.md runs here, against the kit, so the
// docs cannot drift from a connector that passes (octokit's readme-examples.test.ts).
const docs = readFileSync(fileURLToPath(new URL('../../../docs/connectors.md', import.meta.url)), 'utf8')
const block = /<!-- docs-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- docs-example:end -->/.exec(docs)?.[1]
const modulePath = fileURLToPath(new URL(`./.docs-example-${process.pid}.ts`, import.meta.url))

afterAll(() => rmSync(modulePath, { force: true }))

const apiKey = 'tickets-key-0123456789abcdef'

/** The tickets API the example talks to, over the memory upstream: checks the key, 404s what it does not know. */
function ticketsApi(upstream: MemoryUpstream): typeof fetch {
  return async (input, init) => {
    init?.signal?.throwIfAborted()
    const reply = (status: number, body?: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status })
    if (new Headers(init?.headers).get('authorization') !== `Bearer ${apiKey}`) return reply(401, { message: 'bad credentials' })
    const path = new URL(String(input)).pathname.replace(/^\/api\//, '')
    const [resource, id] = path.split('/').map(decodeURIComponent)
    const method = init?.method ?? 'GET'
    if (method === 'GET' && resource === 'health') return reply(200, { ok: true })
    if (method === 'GET' && resource === 'projects') return upstream.hasAccount(id ?? '') ? reply(200, { name: id }) : reply(404)
    if (method === 'POST' && resource === 'tokens') {
      const body = JSON.parse(String(init?.body)) as { project: string; scopes: string[]; ttlSeconds: number; note: string }
      if (!upstream.hasAccount(body.project)) return reply(404)
      const minted = upstream.mint({ account: body.project, subject: body.note, scopes: body.scopes, ttlSeconds: Math.min(body.ttlSeconds, 3600) })
      return reply(201, { id: minted.id, token: minted.token, expires_at: minted.expiresAt.toISOString() })
    }
    if (method === 'DELETE' && resource === 'tokens') return upstream.revokeById(id ?? '') === 'revoked' ? reply(204) : reply(404)
    return reply(405)
  }
}

describe('docs/connectors.md', () => {
  it('has the worked example between its markers', () => {
    expect(block).toMatch(/defineConnector\(/)
  })

  it('its worked example passes the conformance kit', async () => {
    writeFileSync(modulePath, block ?? '')
    const { ticketsConnector } = (await import(/* @vite-ignore */ modulePath)) as { ticketsConnector: ConnectorDefinition }
    let ms = Date.parse('2030-01-01T00:00:00Z')
    const clock: Clock = { now: () => new Date(ms) }
    const upstream = createMemoryUpstream({ clock, accounts: ['web'] })
    const report = await runConformance(
      {
        connector: ticketsConnector,
        setup: async () => ({
          config: { baseUrl: 'https://tickets.test/api/', apiKey: new SecretValue(apiKey) },
          target: { project: 'web' },
          ceiling: ['write'],
          requests: { narrower: ['read'], wider: ['admin'], unknown: ['delete', 'Read'] },
          bogus: { target: { project: 'no-such-project' }, config: { baseUrl: 'https://tickets.test/api/', apiKey: new SecretValue('wrong-key-0123456789') } },
          host: { clock, fetch: ticketsApi(upstream) },
          upstream: { works: async (credential, scopes) => upstream.allows(credential.accessToken, scopes), expire: async () => void (ms += 3_601_000) },
        }),
      },
      false,
    )
    expect(report.cases.filter((c) => c.status !== 'passed').map((c) => `${c.name}: ${c.message ?? ''}`)).toEqual(['probe: alive before revoke, dead after: the connector has no probe'])
    expect(report.passed).toBe(true)
  })
})
