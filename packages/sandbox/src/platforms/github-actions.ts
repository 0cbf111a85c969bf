import { randomBytes } from 'node:crypto'
import { extendPlatformIssuer, startPlatformIssuer, type PlatformIssuer } from './platform-issuer.js'

/** GitHub Actions' issuer: the `iss` of every Actions OIDC token. */
export const githubActionsIssuerUrl = 'https://token.actions.githubusercontent.com'

/** The job a token describes; defaults describe a push to main of `acme/api`. */
export interface GitHubActionsJob {
  readonly repository?: string
  readonly ref?: string
  readonly environment?: string
  /** Workflow file path in the repository, e.g. `.github/workflows/deploy.yml`. */
  readonly workflow?: string
  readonly eventName?: string
  readonly actor?: string
}

export interface GitHubActionsIssuer extends PlatformIssuer {
  /** An Actions OIDC token for `audience`, with the claims GitHub documents. */
  token(audience: string, job?: GitHubActionsJob, overrides?: Record<string, unknown>): Promise<string>
  /**
   * What a runner's environment holds: ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN. A GET there
   * with `&audience=` and the bearer answers `{ "value": <token> }` for `job`, as GitHub does.
   */
  runnerEnv(job?: GitHubActionsJob): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string }
}

/**
 * GitHub Actions stand-in: RS256 tokens whose claims follow "About security hardening with
 * OpenID Connect" (sub `repo:<owner>/<repo>:ref:<ref>` or `:environment:<env>`, repository,
 * repository_owner, ref, workflow_ref, job_workflow_ref, environment, ...), valid five minutes
 * either side of `iat` like GitHub's. `iss` is GitHub's real issuer unless `issuer` is given;
 * the broker is configured with `jwksUri` pointing here.
 */
export async function startGitHubActionsIssuer(options: { issuer?: string } = {}): Promise<GitHubActionsIssuer> {
  const requestTokens = new Map<string, GitHubActionsJob>()
  let self: GitHubActionsIssuer | undefined = undefined
  const base = await startPlatformIssuer({
    alg: 'RS256',
    issuer: options.issuer ?? githubActionsIssuerUrl,
    jwksPath: '/.well-known/jwks',
    routes: async (req, res, url) => {
      if (url.pathname !== '/_apis/actions/idtoken') return false
      const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
      const job = bearer === undefined ? undefined : requestTokens.get(bearer)
      if (job === undefined) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}')
        return true
      }
      const audience = url.searchParams.get('audience') ?? `https://github.com/${job.repository ?? 'acme/api'}`.split('/').slice(0, 4).join('/')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: await self!.token(audience, job) }))
      return true
    },
  })
  self = extendPlatformIssuer<GitHubActionsIssuer>(base, {
    async token(audience: string, job: GitHubActionsJob = {}, overrides: Record<string, unknown> = {}) {
      const repository = job.repository ?? 'acme/api'
      const owner = repository.split('/')[0]!
      const ref = job.ref ?? 'refs/heads/main'
      const workflow = job.workflow ?? '.github/workflows/deploy.yml'
      const now = Math.floor(Date.now() / 1000)
      const workflowRef = `${repository}/${workflow}@${ref}`
      return base.sign({
        sub: job.environment === undefined ? `repo:${repository}:ref:${ref}` : `repo:${repository}:environment:${job.environment}`,
        aud: audience,
        ref,
        ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        sha: randomBytes(20).toString('hex'),
        repository,
        repository_owner: owner,
        repository_id: '74',
        repository_owner_id: '65',
        repository_visibility: 'private',
        run_id: String(now),
        run_number: '1',
        run_attempt: '1',
        actor: job.actor ?? 'octocat',
        actor_id: '12',
        workflow: 'deploy',
        workflow_ref: workflowRef,
        job_workflow_ref: workflowRef,
        event_name: job.eventName ?? 'push',
        runner_environment: 'github-hosted',
        ...(job.environment === undefined ? {} : { environment: job.environment }),
        nbf: now - 300,
        exp: now + 300,
        iat: now,
        ...overrides,
      })
    },
    runnerEnv(job: GitHubActionsJob = {}) {
      const token = randomBytes(16).toString('hex')
      requestTokens.set(token, job)
      return { ACTIONS_ID_TOKEN_REQUEST_URL: `${base.url}/_apis/actions/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: token }
    },
  })
  return self
}
