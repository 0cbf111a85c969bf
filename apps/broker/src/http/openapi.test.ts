import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { createApp, type AppDeps } from './app.js'
import { openApiDocument, openApiPath } from './openapi.js'
import { routeTable } from './route-table.js'

/** Enough of the app's dependencies to build its route table: no route is called. */
const deps = {
  lanyard: { settings: { issuer: 'https://lanyard.example' } },
  systems: new Map(),
  adminToken: { reveal: () => 'unused' },
  metrics: {},
  log: {},
  presence: { reportBodyLimitBytes: 1024 },
  console: { sessionTtlSeconds: 60, secureCookies: true },
} as unknown as AppDeps

describe('GET /openapi.json', () => {
  const document = openApiDocument('https://lanyard.example')

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('documents every /v1 and /oauth route of the express route table, and nothing it does not serve', () => {
    const served = routeTable(createApp(deps))
      .filter((r) => r.path.startsWith('/v1/') || r.path.startsWith('/oauth/'))
      .map((r) => `${r.method} ${openApiPath(r.path)}`)
    expect(served.length).toBeGreaterThan(40)
    const paths = document.paths as Record<string, Record<string, unknown>>
    const documented = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
    expect(served.filter((r) => !documented.includes(r))).toEqual([])
    expect(documented.filter((d) => (d.includes(' /v1/') || d.includes(' /oauth/')) && !served.includes(d))).toEqual([])
  })

  it('carries the zod schemas the routes parse with: closed bodies, bounds, enums', () => {
    const paths = document.paths as Record<string, any>
    const create = paths['/v1/agents'].post.requestBody.content['application/json'].schema
    expect(create.additionalProperties).toBe(false)
    expect(create.required).toEqual(expect.arrayContaining(['handle', 'owner']))
    const list = paths['/v1/agents'].get.parameters.find((p: any) => p.name === 'status')
    expect(list.schema.enum).toEqual(['active', 'suspended', 'revoked'])
    expect(list.required).toBe(false)
    const revoke = paths['/v1/agents/{handle}/revoke'].post
    expect(revoke.parameters.find((p: any) => p.name === 'handle').in).toBe('path')
    expect(revoke.requestBody.content['application/json'].schema.properties.reason.maxLength).toBe(1000)
    expect(paths['/oauth/token'].post.requestBody.content).toHaveProperty('application/x-www-form-urlencoded')
  })
})
