import { randomUUID } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { authenticateSession, decideSessionAccess } from './access.js'
import { AwsSandboxError, expiredToken, invalidClientTokenId, invalidParameter } from './errors.js'
import { deleteRolePolicy, getRole, getRolePolicy, listRolePolicies, putRolePolicy } from './iam.js'
import { type AwsState, type Caller, type Role, type Session, assumedRoleArn, awsId, randomSecret } from './model.js'
import { registerProvider } from './oidc.js'
import { type Decision, parsePolicy } from './policy.js'
import { checkString, required } from './rules.js'
import { type IncomingSignedRequest, equalStrings, parseAuthorization, verifySignature } from './sigv4.js'
import { assumeRole, assumeRoleWithWebIdentity, getCallerIdentity } from './sts.js'
import { API_VERSIONS, type Service, type XmlObject, renderError, renderResult } from './xml.js'

export interface AwsSandboxOptions {
  /** The stand-in's clock (ms since epoch): session expiry, token expiry, signature skew. */
  now?: () => number
  /** Default `us-east-1`; requests must be signed for it. */
  region?: string
  /** Default `123456789012`. */
  accountId?: string
  /**
   * How long a PutRolePolicy or DeleteRolePolicy takes to reach access decisions; default 0.
   * IAM is eventually consistent ("typically seconds"): a deny written now is read back at once
   * by GetRolePolicy but stops sessions only after this delay.
   */
  iamPropagationMs?: number
}

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface CreateRoleInput {
  /** 1..64 characters of [\w+=,.@-]. */
  name: string
  /**
   * Who may assume the role (JSON text or object). Default: any principal of the account, for
   * sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity, with `externalId` required when given.
   */
  trustPolicy?: string | object
  /** Only used by the default trust policy. */
  externalId?: string
  /** 3600..43200, default 3600, like IAM's MaxSessionDuration. */
  maxSessionDurationSeconds?: number
  /** The role's attached permissions. Default allows everything, so session policies and denies decide. */
  permissions?: string | object
}

/** What the stand-in knows about an issued session: CloudTrail's view, no secrets. */
export interface SessionInfo {
  accessKeyId: string
  roleArn: string
  assumedRoleArn: string
  sessionName: string
  sourceIdentity?: string
  tags: Record<string, string>
  transitiveTagKeys: string[]
  sessionPolicy?: string
  federatedProvider?: string
  issuedAt: Date
  expiresAt: Date
}

export interface AwsSandbox {
  /** Endpoint for both STS and IAM: give it to the SDK clients as `endpoint`. */
  readonly url: string
  readonly region: string
  readonly accountId: string
  /** A long-term key pair of an IAM user the account trusts; `iam` lets it call the role-policy actions. */
  addAccessKey(options?: { iam?: boolean; userName?: string }): { accessKeyId: string; secretAccessKey: string }
  createRole(input: CreateRoleInput): { arn: string; name: string }
  /** Registers an IAM OIDC provider; fetches `<url>/.well-known/openid-configuration` (loopback only). */
  addOidcProvider(input: { url: string; audiences: string[] }): Promise<{ arn: string }>
  /**
   * Would a request signed with these session credentials be allowed? Throws AwsSandboxError
   * (`InvalidClientTokenId`, `SignatureDoesNotMatch`, `ExpiredToken`) as AWS would refuse it.
   * The same check is served signed over HTTP as `Action=SimulateSessionAccess&ActionName=...&ResourceArn=...`.
   */
  checkAccess(input: { credentials: AwsCredentials; action: string; resource: string }): Decision
  /** The role's inline policies by name, as JSON text. */
  rolePolicies(roleName: string): Record<string, string>
  /** How many requests for `action` (`PutRolePolicy`, ...) it has answered, refused ones included. */
  calls(action: string): number
  session(accessKeyId: string): SessionInfo | undefined
  sessions(): SessionInfo[]
  close(): Promise<void>
}

type Handler = (state: AwsState, params: URLSearchParams, request: IncomingSignedRequest) => Promise<XmlObject> | XmlObject
interface Route {
  service: Service
  handle: Handler
}

/** Actions that need a signature get the authenticated caller; the others run unsigned. */
function signed(service: Service, action: (state: AwsState, caller: Caller, params: URLSearchParams) => Promise<XmlObject> | XmlObject): Route {
  return { service, handle: async (state, params, request) => action(state, await authenticate(state, request, service), params) }
}

const ROUTES: Record<string, Route> = {
  AssumeRole: signed('sts', assumeRole),
  AssumeRoleWithWebIdentity: { service: 'sts', handle: (state, params) => assumeRoleWithWebIdentity(state, params) },
  GetCallerIdentity: signed('sts', (state, caller) => getCallerIdentity(state, caller)),
  SimulateSessionAccess: signed('sts', (state, caller, params) => {
    if (caller.kind !== 'session') throw invalidParameter('SimulateSessionAccess evaluates session credentials: sign it with them.')
    return { EvalDecision: decideSessionAccess(state, caller.session, required(params, 'ActionName'), required(params, 'ResourceArn')) }
  }),
  PutRolePolicy: signed('iam', putRolePolicy),
  GetRolePolicy: signed('iam', getRolePolicy),
  DeleteRolePolicy: signed('iam', deleteRolePolicy),
  ListRolePolicies: signed('iam', listRolePolicies),
  GetRole: signed('iam', getRole),
}

/** Query-protocol bodies are small; anything near this is not an AWS SDK request. */
const MAX_BODY_BYTES = 1024 * 1024

export async function startAwsSandbox(options: AwsSandboxOptions = {}): Promise<AwsSandbox> {
  if (options.iamPropagationMs !== undefined && !(Number.isInteger(options.iamPropagationMs) && options.iamPropagationMs >= 0)) {
    throw new TypeError('iamPropagationMs must be a non-negative integer')
  }
  const state: AwsState = {
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '123456789012',
    now: options.now ?? Date.now,
    keys: new Map(),
    roles: new Map(),
    sessions: new Map(),
    providers: new Map(),
    calls: new Map(),
    iamPropagationMs: options.iamPropagationMs ?? 0,
  }
  const server = createServer((req, res) => void serve(state, req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let users = 0

  return {
    url: `http://127.0.0.1:${port}`,
    region: state.region,
    accountId: state.accountId,
    addAccessKey({ iam = false, userName = `user-${++users}` } = {}) {
      const key = {
        accessKeyId: awsId('AKIA', 16),
        secretAccessKey: randomSecret(30),
        userArn: `arn:aws:iam::${state.accountId}:user/${userName}`,
        iam,
      }
      state.keys.set(key.accessKeyId, key)
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }
    },
    createRole(input) {
      const role = buildRole(state, input)
      state.roles.set(role.name, role)
      return { arn: role.arn, name: role.name }
    },
    addOidcProvider: (input) => registerProvider(state, input),
    checkAccess: ({ credentials, action, resource }) =>
      decideSessionAccess(state, authenticateSession(state, credentials), action, resource),
    calls: (action) => state.calls.get(action) ?? 0,
    rolePolicies(roleName) {
      const role = state.roles.get(roleName)
      if (!role) throw new Error(`no role ${roleName} in the AWS sandbox`)
      return Object.fromEntries([...role.inlinePolicies].map(([name, policy]) => [name, policy.text]))
    },
    session: (accessKeyId) => {
      const session = state.sessions.get(accessKeyId)
      return session && sessionInfo(state, session)
    },
    sessions: () => [...state.sessions.values()].map((s) => sessionInfo(state, s)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // The SDK keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections()
      }),
  }
}

async function serve(state: AwsState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID()
  let service: Service = 'sts'
  let status = 200
  let body: string
  try {
    const raw = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://sandbox')
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      throw new AwsSandboxError('InvalidAction', 400, 'The sandbox serves the query protocol: form-encoded POST requests.')
    }
    const params = new URLSearchParams(raw)
    const action = params.get('Action')
    if (!action) throw new AwsSandboxError('MissingAction', 400, 'The request must contain the parameter Action')
    const route = Object.hasOwn(ROUTES, action) ? ROUTES[action] : undefined
    const version = params.get('Version')
    if (!route || (version !== null && version !== API_VERSIONS[route.service])) {
      throw new AwsSandboxError('InvalidAction', 400, `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`)
    }
    service = route.service
    state.calls.set(action, (state.calls.get(action) ?? 0) + 1)
    const request: IncomingSignedRequest = {
      method: req.method,
      path: url.pathname,
      query: queryRecord(url.searchParams),
      headers: headerRecord(req),
      body: raw,
    }
    body = renderResult(service, action, await route.handle(state, params, request), requestId)
  } catch (caught) {
    const error =
      caught instanceof AwsSandboxError
        ? caught
        : new AwsSandboxError('InternalFailure', 500, 'The request processing has failed because of an unknown error.', 'Receiver')
    status = error.status
    body = renderError(service, error, requestId)
  }
  // Date lets the SDK correct its clock to the stand-in's (it does so for AWS too), so tests that
  // move `now` forward still sign within the 15-minute window.
  res.writeHead(status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    date: new Date(state.now()).toUTCString(),
  })
  res.end(body)
}

async function authenticate(state: AwsState, request: IncomingSignedRequest, service: Service): Promise<Caller> {
  const auth = parseAuthorization(request.headers['authorization'])
  if (!auth) throw new AwsSandboxError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token')
  const token = request.headers['x-amz-security-token']
  const expected = { region: state.region, service, nowMs: state.now() }
  const key = state.keys.get(auth.accessKeyId)
  if (key) {
    // A session token alongside long-term keys is refused, as AWS refuses it.
    if (token !== undefined) throw invalidClientTokenId()
    await verifySignature(request, auth, key.secretAccessKey, expected)
    return { kind: 'user', key }
  }
  const session = state.sessions.get(auth.accessKeyId)
  if (!session || token === undefined || !equalStrings(token, session.sessionToken)) throw invalidClientTokenId()
  await verifySignature(request, auth, session.secretAccessKey, expected)
  if (expected.nowMs >= session.expiresAt) throw expiredToken()
  return { kind: 'session', session }
}

function buildRole(state: AwsState, input: CreateRoleInput): Role {
  checkString(input.name, 'roleName', { min: 1, max: 64, pattern: /^[\w+=,.@-]+$/ })
  if (state.roles.has(input.name)) throw new AwsSandboxError('EntityAlreadyExists', 409, `Role with name ${input.name} already exists.`)
  const maxSessionDurationSeconds = input.maxSessionDurationSeconds ?? 3600
  if (!Number.isInteger(maxSessionDurationSeconds) || maxSessionDurationSeconds < 3600 || maxSessionDurationSeconds > 43_200) {
    throw new AwsSandboxError('ValidationError', 400, 'MaxSessionDuration must be between 3600 and 43200 seconds.')
  }
  const trust = input.trustPolicy ?? {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${state.accountId}:root` },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        ...(input.externalId === undefined ? {} : { Condition: { StringEquals: { 'sts:ExternalId': input.externalId } } }),
      },
    ],
  }
  const permissions = input.permissions ?? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
  return {
    name: input.name,
    arn: `arn:aws:iam::${state.accountId}:role/${input.name}`,
    roleId: awsId('AROA', 17),
    createdAt: state.now(),
    trustPolicy: parsePolicy(asText(trust), 'trust'),
    permissions: parsePolicy(asText(permissions), 'identity'),
    maxSessionDurationSeconds,
    inlinePolicies: new Map(),
    inlineChanges: new Map(),
  }
}

function sessionInfo(state: AwsState, session: Session): SessionInfo {
  return {
    accessKeyId: session.accessKeyId,
    roleArn: session.role.arn,
    assumedRoleArn: assumedRoleArn(session, state.accountId),
    sessionName: session.sessionName,
    ...(session.sourceIdentity === undefined ? {} : { sourceIdentity: session.sourceIdentity }),
    tags: { ...session.tags },
    transitiveTagKeys: [...session.transitiveTagKeys],
    ...(session.sessionPolicy ? { sessionPolicy: session.sessionPolicy.text } : {}),
    ...(session.federatedProvider === undefined ? {} : { federatedProvider: session.federatedProvider }),
    issuedAt: new Date(session.issuedAt),
    expiresAt: new Date(session.expiresAt),
  }
}

function asText(policy: string | object): string {
  return typeof policy === 'string' ? policy : JSON.stringify(policy)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new AwsSandboxError('RequestEntityTooLarge', 413, 'Request body too large'))
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value
  }
  return headers
}

function queryRecord(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name)
    query[name] = values.length === 1 ? values[0]! : values
  }
  return query
}
