import { Router } from 'express'
import { z } from 'zod'
import { signInBody } from './console-session.js'
import { reportBody, webfingerQuery } from './presence.js'
import { createBody as adminBody } from './v1-admins.js'
import { auditQuery, bindingBody, createAgentBody, grantRevokeBody, grantsQuery, keyBody, listQuery as agentsQuery, reasonBody, revokeQuery, rotateBody, suspendBody } from './v1-agents.js'
import { decisionBody, listQuery as approvalsQuery, showQuery } from './v1-approvals.js'
import { adminAuditQuery, checkpointsQuery } from './v1-audit.js'
import { removeBody } from './v1-bindings.js'
import { spawnBody } from './v1-children.js'
import { delegationBody } from './v1-delegations.js'
import { historyQuery } from './v1-revocations.js'
import { presenceBody, reportsQuery } from './v1-presence.js'
import { incidentBody, tierBody } from './v1-tiers.js'
import { createBody as webhookBody } from './v1-webhooks.js'

type Method = 'get' | 'post' | 'put' | 'delete'
/** Who may call: the /v1 admin credential (bearer or console session), a resource server, anyone. */
type Security = 'admin' | 'admin-or-resource-server' | 'none'

/** One operation: its path in express form, and the zod schemas its handler parses with. */
interface Operation {
  readonly method: Method
  readonly path: string
  readonly summary: string
  readonly security: Security
  readonly query?: z.ZodObject
  readonly body?: z.ZodType
  /** application/x-www-form-urlencoded (the OAuth endpoints). */
  readonly form?: z.ZodObject
  /** The success status; default 200. */
  readonly status?: number
  /** The body may be left out (a dry run reads none). */
  readonly optionalBody?: boolean
  /** text/event-stream instead of JSON. */
  readonly stream?: boolean
}

/**
 * The OAuth endpoints read their RFC 6749 forms field by field (each error is an RFC error
 * body with its own code, oauth-token.ts), so their forms are described here, not parsed.
 */
const tokenForm = z.object({
  grant_type: z.enum(['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange']),
  assertion: z.string().optional().describe('jwt-bearer: the agent-signed JWT (RFC 7523)'),
  subject_token: z.string().optional().describe('token-exchange: the handle token (RFC 8693)'),
  subject_token_type: z.string().optional(),
  resource: z.string().optional().describe('urn:lanyard:system:<name>, or the URL of a configured resource (RFC 8707)'),
  audience: z.string().optional(),
  scope: z.string().optional(),
})
const tokenOnlyForm = z.object({ token: z.string().min(1), token_type_hint: z.string().optional() })
/** /v1/whois takes exactly one attribution key, named by GET /v1/systems (`whois_keys`). */
const whoisQuery = z.record(z.string(), z.string())

const op = (method: Method, path: string, summary: string, rest: Partial<Omit<Operation, 'method' | 'path' | 'summary'>> = {}): Operation => ({ method, path, summary, security: 'admin', ...rest })

/**
 * Every /v1 and /oauth operation the broker serves. openapi.test.ts walks the express route
 * table and fails on a route missing here, so a new route cannot go undocumented.
 */
export const operations: readonly Operation[] = [
  op('post', '/oauth/token', 'Agent authentication (RFC 7523) and token exchange (RFC 8693)', { security: 'none', form: tokenForm }),
  op('post', '/oauth/revoke', 'Revoke a handle token (RFC 7009)', { security: 'none', form: tokenOnlyForm }),
  op('post', '/oauth/introspect', 'Introspect a token (RFC 7662)', { security: 'admin-or-resource-server', form: tokenOnlyForm }),
  op('get', '/v1/events', 'Revocation events as signed CAEP SETs (server-sent events)', { security: 'admin-or-resource-server', stream: true }),
  op('get', '/v1/me', 'The signed-in principal and its roles'),
  op('post', '/v1/admins', 'Create a named admin; its token is returned once', { body: adminBody, status: 201 }),
  op('get', '/v1/admins', 'List named admins'),
  op('delete', '/v1/admins/:subject', 'Revoke a named admin'),
  op('post', '/v1/admins/bootstrap/retire', 'Retire the bootstrap token'),
  op('post', '/v1/agents', 'Create an agent', { body: createAgentBody, status: 201 }),
  op('get', '/v1/agents', 'List agents', { query: agentsQuery }),
  op('get', '/v1/agents/:handle', 'An agent with its keys, bindings and trust tier'),
  op('post', '/v1/agents/:handle/keys', 'Add a public key', { body: keyBody, status: 201 }),
  op('delete', '/v1/agents/:handle/keys/:kid', 'Remove a key'),
  op('post', '/v1/agents/:handle/bindings', 'Bind an agent to a system', { body: bindingBody, status: 201 }),
  op('delete', '/v1/agents/:handle/bindings/:system', 'Remove a binding', { body: removeBody, status: 202 }),
  op('post', '/v1/agents/:handle/bindings/:system/revoke', "Revoke a binding's grants", { body: reasonBody, status: 202 }),
  op('get', '/v1/agents/:handle/grants', "An agent's grants", { query: grantsQuery }),
  op('post', '/v1/agents/:handle/grants/:id/revoke', 'Revoke one grant', { body: grantRevokeBody, status: 202 }),
  op('post', '/v1/agents/:handle/suspend', 'Suspend an agent', { body: suspendBody }),
  op('post', '/v1/agents/:handle/resume', 'Resume a suspended agent', { body: reasonBody }),
  op('post', '/v1/agents/:parent/children', 'Spawn a child agent within the parent\'s delegable ceilings (the parent\'s own handle token, or an admin)', { body: spawnBody, status: 201 }),
  op('get', '/v1/agents/:parent/children', "The parent's children"),
  op('post', '/v1/agents/:parent/children/:child/suspend', 'Suspend a child and its descendants', { body: reasonBody }),
  op('post', '/v1/agents/:parent/children/:child/revoke', 'Revoke a child and its descendants', { body: reasonBody, status: 202 }),
  op('post', '/v1/agents/:handle/delegations', 'Let another agent act for this one (RFC 8693 actor_token)', { body: delegationBody, status: 201 }),
  op('get', '/v1/agents/:handle/delegations', "The agent's delegation rules"),
  op('post', '/v1/agents/:handle/revoke', 'Revoke an agent (cascade), or plan it with ?dry_run=1', { query: revokeQuery, body: reasonBody, optionalBody: true, status: 202 }),
  op('get', '/v1/agents/:handle/audit', "An agent's audit chain; ?verify=1 checks it", { query: auditQuery }),
  op('post', '/v1/agents/:handle/trust', 'Add a trust rule (checked by core parseTrustRule)', { body: z.record(z.string(), z.unknown()), status: 201 }),
  op('get', '/v1/agents/:handle/trust', "An agent's trust rules"),
  op('delete', '/v1/agents/:handle/trust/:id', 'Remove a trust rule', { status: 204 }),
  op('get', '/v1/agents/:handle/presence', "An agent's presence profile"),
  op('put', '/v1/agents/:handle/presence', "Set an agent's presence profile", { body: presenceBody }),
  op('get', '/v1/agents/:handle/reports', 'Misuse reports about an agent', { query: reportsQuery }),
  op('post', '/v1/agents/:handle/incidents', 'Record an incident against the trust tier', { body: incidentBody, status: 201 }),
  op('post', '/v1/agents/:handle/tier', 'Set the trust tier', { body: tierBody }),
  op('post', '/v1/owners/:owner/revoke', 'Revoke every agent of an owner', { body: reasonBody, status: 202 }),
  op('get', '/v1/revocations', 'The revocation history, newest first', { query: historyQuery }),
  op('get', '/v1/revocations/:id', 'A revocation job and its tasks'),
  op('get', '/v1/revocations/:id/progress', "A revocation's progress, task by task (server-sent events)", { stream: true }),
  op('get', '/v1/revocations/:id/receipt', 'The signed receipt of a finished revocation'),
  op('post', '/v1/signing-keys/rotate', 'Rotate the signing key', { body: rotateBody, status: 201 }),
  op('get', '/v1/systems', 'Configured systems and their whois keys'),
  op('get', '/v1/systems/health', 'A dry connection test of every system'),
  op('get', '/v1/signing-keys', "The broker's signing keys (public halves)"),
  op('get', '/v1/whois', 'Which agent a credential belongs to', { query: whoisQuery as unknown as z.ZodObject }),
  op('post', '/v1/webhooks', 'Subscribe a webhook', { body: webhookBody, status: 201 }),
  op('get', '/v1/webhooks', 'List webhooks'),
  op('delete', '/v1/webhooks/:id', 'Remove a webhook', { status: 204 }),
  op('get', '/v1/webhooks/:id/deliveries', "A webhook's deliveries"),
  op('get', '/v1/approvals', 'List approvals', { query: approvalsQuery }),
  op('get', '/v1/approvals/:id', 'An approval; ?wait= long-polls', { query: showQuery }),
  op('post', '/v1/approvals/:id/approve', 'Approve', { body: decisionBody }),
  op('post', '/v1/approvals/:id/deny', 'Deny', { body: decisionBody }),
  op('get', '/v1/audit/checkpoints', 'Signed audit checkpoints', { query: checkpointsQuery }),
  op('get', '/v1/audit/admin', 'The broker-wide admin audit chain', { query: adminAuditQuery }),
]

/** Operations outside /v1 and /oauth that the console itself calls, documented for its client. */
export const consoleOperations: readonly Operation[] = [
  op('post', '/console/session', 'Sign the console in with a named admin token (sets the session cookie)', { security: 'none', body: signInBody }),
  op('delete', '/console/session', 'Sign the console out', { security: 'none', status: 204 }),
  op('get', '/.well-known/webfinger', 'WebFinger for agent presence', { security: 'none', query: webfingerQuery }),
  op('post', '/agents/:handle/report', 'Report misuse of an agent', { security: 'none', body: reportBody, status: 202 }),
]

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  return rest
}

const problem = { $ref: '#/components/responses/Problem' }
const oauthError = { $ref: '#/components/responses/OAuthError' }

function parameters(o: Operation): unknown[] {
  const path = [...o.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }))
  if (o.query === undefined) return path
  if (!(o.query instanceof z.ZodObject)) return [...path, { name: 'query', in: 'query', style: 'form', explode: true, schema: jsonSchema(o.query) }]
  const query = Object.entries(o.query.shape as Record<string, z.ZodType>).map(([name, field]) => ({ name, in: 'query', required: !field.safeParse(undefined).success, schema: jsonSchema(field) }))
  return [...path, ...query]
}

function operationObject(o: Operation): Record<string, unknown> {
  const oauth = o.path.startsWith('/oauth/')
  const success = o.stream === true
    ? { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }
    : o.status === 204 ? { description: 'No content' } : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } }
  const security = o.security === 'none' ? [] : o.security === 'admin' ? [{ bearer: [] }, { session: [], csrf: [] }] : [{ bearer: [] }, { session: [], csrf: [] }, { resourceServer: [] }]
  const body = o.form !== undefined
    ? { required: true, content: { 'application/x-www-form-urlencoded': { schema: jsonSchema(o.form) } } }
    : o.body !== undefined ? { required: o.method !== 'delete' && o.optionalBody !== true, content: { 'application/json': { schema: jsonSchema(o.body) } } } : undefined
  return {
    operationId: `${o.method}${o.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: o.summary,
    security,
    parameters: parameters(o),
    ...(body === undefined ? {} : { requestBody: body }),
    responses: { [String(o.status ?? 200)]: success, ...(oauth ? { '400': oauthError, '401': oauthError } : { '400': problem, '401': problem, '403': problem, '404': problem }), default: oauth ? oauthError : problem },
  }
}

/** express `/a/:b` -> OpenAPI `/a/{b}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

/**
 * The OpenAPI 3.1 document of /v1 and /oauth (and the console's own endpoints), generated from
 * the zod schemas the routes validate with (zod's JSON Schema output is draft 2020-12, the
 * dialect of OpenAPI 3.1).
 */
export function openApiDocument(issuer: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const o of [...operations, ...consoleOperations]) (paths[openApiPath(o.path)] ??= {})[o.method] = operationObject(o)
  const problemSchema = { type: 'object', required: ['type', 'title', 'status'], properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' }, requiredRoles: { type: 'array', items: { type: 'string' } } } }
  const oauthSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' }, code: { type: 'string' } } }
  return {
    openapi: '3.1.0',
    info: { title: 'Lanyard broker', version: '1', description: 'Identity broker for autonomous AI agents. /v1 errors are RFC 9457 problem+json with a stable `code`; /oauth errors are RFC 6749 bodies.' },
    servers: [{ url: issuer }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A named admin token (or the bootstrap token)' },
        session: { type: 'apiKey', in: 'cookie', name: 'lanyard_session', description: 'A console session; every request also sends X-Lanyard-CSRF: 1' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-Lanyard-CSRF' },
        resourceServer: { type: 'http', scheme: 'bearer', description: "A resource server's bearer" },
      },
      responses: {
        Problem: { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: problemSchema } } },
        OAuthError: { description: 'RFC 6749 error', content: { 'application/json': { schema: oauthSchema } } },
      },
    },
  }
}

/** GET /openapi.json: the document, built once, no credential needed (it holds no secret). */
export function openApiRoutes(issuer: string): Router {
  const router = Router()
  const document = JSON.stringify(openApiDocument(issuer))
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').setHeader('Cache-Control', 'no-cache').send(document)
  })
  return router
}
