import { createHash, type KeyObject } from 'node:crypto'
import { GitHubError, messages } from './github-error.js'
import { type PermissionLevel, type Permissions, type AccountType, type TokenState, type InstallationSpec, type IssuedToken, type Account, type Repository, type App, type Installation, type TokenRecord, tokenLifetimeMs, maxRepositoriesPerToken, levelRank, hashToken, isoSeconds, newToken, optionalArray } from './world-records.js'

export { hashToken, tokenLifetimeMs } from './world-records.js'
export type { AccountType, InstallationSpec, IssuedToken, PermissionLevel, Permissions, TokenRecord, TokenState } from './world-records.js'

/**
 * The stand-in's state and GitHub's rules over it: who may mint what, what a token reaches.
 * Knows nothing of HTTP; the server maps requests onto it.
 */
export class GitHubWorld {
  readonly #now: () => number
  readonly #baseUrl: () => string
  readonly #apps = new Map<number, App>()
  readonly #accounts = new Map<string, Account>()
  readonly #installations = new Map<number, Installation>()
  readonly #tokens = new Map<string, TokenRecord>()
  #nextId = 1000

  constructor(now: () => number, baseUrl: () => string) {
    this.#now = now
    this.#baseUrl = baseUrl
  }

  now(): number {
    return this.#now()
  }

  addApp(publicKey: KeyObject): number {
    const id = this.#nextId++
    this.#apps.set(id, { id, slug: `lanyard-sandbox-${id}`, publicKey, createdAt: isoSeconds(this.#now()) })
    return id
  }

  publicKeyOf(appId: number): KeyObject | undefined {
    return this.#apps.get(appId)?.publicKey
  }

  addInstallation(spec: InstallationSpec): { id: number } {
    const app = this.#apps.get(spec.appId)
    if (app === undefined) throw new Error(`no app ${spec.appId} in the GitHub sandbox; call createApp() first`)
    for (const [name, level] of Object.entries(spec.permissions)) {
      if (levelRank[level] === undefined) throw new Error(`permission ${name}: level must be read, write or admin`)
    }
    const account = this.#account(spec.account, spec.accountType ?? 'Organization')
    const repositoryIds = new Set<number>()
    for (const name of spec.repositories) repositoryIds.add(this.#repository(account, name).id)
    const id = this.#nextId++
    this.#installations.set(id, {
      id,
      app,
      account,
      repositoryIds,
      // Every App may read repository metadata; GitHub lists it among the installation's permissions.
      permissions: { metadata: 'read', ...spec.permissions },
      repositorySelection: spec.repositorySelection ?? 'selected',
      createdAt: isoSeconds(this.#now()),
      removed: false,
    })
    return { id }
  }

  /** Uninstalling the App: GitHub invalidates the installation's tokens at once. */
  removeInstallation(id: number): void {
    const installation = this.#installations.get(id)
    if (installation !== undefined) installation.removed = true
  }

  // ---- App (JWT) side ------------------------------------------------------------------------

  app(appId: number): Record<string, unknown> {
    const app = this.#requireApp(appId)
    return { id: app.id, slug: app.slug, name: app.slug, node_id: `A_${app.id}`, owner: null, html_url: `${this.#baseUrl()}/apps/${app.slug}`, created_at: app.createdAt, updated_at: app.createdAt, permissions: {}, events: [] }
  }

  installationsOf(appId: number): Record<string, unknown>[] {
    return [...this.#installations.values()].filter((i) => i.app.id === appId && !i.removed).map((i) => this.#installationJson(i))
  }

  installation(appId: number, installationId: number): Record<string, unknown> {
    return this.#installationJson(this.#installationOf(appId, installationId))
  }

  /** `GET /orgs/{org}/installation` (`type` Organization) and `/users/{username}/installation` (any). */
  installationForAccount(appId: number, login: string, type?: AccountType): Record<string, unknown> {
    const found = [...this.#installations.values()].find(
      (i) => i.app.id === appId && !i.removed && i.account.login.toLowerCase() === login.toLowerCase() && (type === undefined || i.account.type === type),
    )
    if (found === undefined) throw new GitHubError(404, messages.notFound)
    return this.#installationJson(found)
  }

  installationForRepository(appId: number, owner: string, name: string): Record<string, unknown> {
    const repository = this.#findRepository(owner, name)
    const found = [...this.#installations.values()].find(
      (i) => i.app.id === appId && !i.removed && repository !== undefined && this.#installationReaches(i, repository),
    )
    if (found === undefined) throw new GitHubError(404, messages.notFound)
    return this.#installationJson(found)
  }

  /**
   * `POST /app/installations/{id}/access_tokens`. (1) Repositories named by `repositories` or
   * `repository_ids` must all be reachable by the installation, else 422; none named = all it
   * has. (2) Each permission asked must be held at that level or higher, else 422; none asked =
   * all it holds.
   */
  createToken(appId: number, installationId: number, body: unknown): { status: number; json: Record<string, unknown> } {
    const installation = this.#installationOf(appId, installationId)
    if (body === undefined || body === null) body = {}
    if (typeof body !== 'object' || Array.isArray(body)) throw new GitHubError(422, messages.invalidRequest)
    const { repositories, repository_ids: repositoryIdsAsked, permissions } = body as Record<string, unknown>
    const names = optionalArray(repositories, (v) => typeof v === 'string')
    const ids = optionalArray(repositoryIdsAsked, (v) => typeof v === 'number' && Number.isInteger(v))
    if ((names?.length ?? 0) + (ids?.length ?? 0) > maxRepositoriesPerToken) throw new GitHubError(422, messages.tooManyRepositories)

    let repositoryIds: Set<number> | undefined
    if ((names?.length ?? 0) + (ids?.length ?? 0) > 0) {
      repositoryIds = new Set()
      for (const name of names ?? []) {
        const repository = installation.account.repositories.get((name as string).toLowerCase())
        if (repository === undefined || !this.#installationReaches(installation, repository)) throw new GitHubError(422, messages.repositoryNotAccessible)
        repositoryIds.add(repository.id)
      }
      for (const id of ids ?? []) {
        const repository = [...installation.account.repositories.values()].find((r) => r.id === id)
        if (repository === undefined || !this.#installationReaches(installation, repository)) throw new GitHubError(422, messages.repositoryNotAccessible)
        repositoryIds.add(repository.id)
      }
    }

    let granted: Permissions = installation.permissions
    if (permissions !== undefined) {
      if (typeof permissions !== 'object' || permissions === null || Array.isArray(permissions)) throw new GitHubError(422, messages.invalidRequest)
      const asked = Object.entries(permissions as Record<string, unknown>)
      for (const [name, level] of asked) {
        const held = installation.permissions[name]
        const rank = typeof level === 'string' ? levelRank[level] : undefined
        if (rank === undefined) throw new GitHubError(422, messages.invalidRequest)
        if (held === undefined || (levelRank[held] ?? 0) < rank) throw new GitHubError(422, messages.permissionsNotGranted)
      }
      if (asked.length > 0) granted = Object.fromEntries(asked) as Permissions
    }

    const issuedAtMs = this.#now()
    // The token dies when `expires_at` (whole seconds) says, not a fraction of a second later.
    const expiresAtMs = Math.floor((issuedAtMs + tokenLifetimeMs) / 1000) * 1000
    const record: TokenRecord = { token: newToken(), installation, repositoryIds, permissions: granted, issuedAtMs, expiresAtMs, revoked: false }
    this.#tokens.set(record.token, record)
    const json: Record<string, unknown> = {
      token: record.token,
      expires_at: isoSeconds(record.expiresAtMs),
      permissions: granted,
      repository_selection: repositoryIds === undefined ? installation.repositorySelection : 'selected',
    }
    if (repositoryIds !== undefined) json.repositories = this.#repositoriesOf(record).map((r) => this.#repositoryJson(r))
    return { status: 201, json }
  }

  // ---- installation token side ---------------------------------------------------------------

  /** The live token behind `value`, or 401 Bad credentials (unknown, revoked, expired, uninstalled). */
  authenticateToken(value: string): TokenRecord {
    const record = this.#tokens.get(value)
    if (record === undefined || this.#stateOf(record) !== 'active') throw new GitHubError(401, messages.badCredentials)
    return record
  }

  /** `DELETE /installation/token`: the token stops working at once. */
  revokeToken(record: TokenRecord): void {
    record.revoked = true
  }

  installationRepositories(record: TokenRecord, page: number, perPage: number): { total: number; json: Record<string, unknown> } {
    const all = this.#repositoriesOf(record)
    const slice = all.slice((page - 1) * perPage, page * perPage)
    return {
      total: all.length,
      json: {
        total_count: all.length,
        repository_selection: record.repositoryIds === undefined ? record.installation.repositorySelection : 'selected',
        repositories: slice.map((r) => this.#repositoryJson(r)),
      },
    }
  }

  /** A repository the token reaches, else 404 as GitHub answers for private repositories. */
  repositoryFor(record: TokenRecord, owner: string, name: string): Record<string, unknown> {
    return this.#repositoryJson(this.#reachable(record, owner, name))
  }

  readFile(record: TokenRecord, owner: string, name: string, path: string): Record<string, unknown> {
    const repository = this.#reachable(record, owner, name)
    this.#requirePermission(record, 'contents', 'read')
    const file = repository.files.get(path)
    if (file === undefined) throw new GitHubError(404, messages.notFound)
    return this.#fileJson(repository, path, file)
  }

  writeFile(record: TokenRecord, owner: string, name: string, path: string, body: unknown): { status: number; json: Record<string, unknown> } {
    const repository = this.#reachable(record, owner, name)
    this.#requirePermission(record, 'contents', 'write')
    const { content, sha } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    if (typeof content !== 'string') throw new GitHubError(422, messages.invalidRequest)
    const existing = repository.files.get(path)
    if (existing !== undefined && sha !== existing.sha) throw new GitHubError(409, `${path} does not match ${String(sha)}`)
    const file = { content, sha: createHash('sha1').update(content).digest('hex') }
    repository.files.set(path, file)
    return { status: existing === undefined ? 201 : 200, json: { content: this.#fileJson(repository, path, file) } }
  }

  // ---- inspection ----------------------------------------------------------------------------

  tokenState(token: string): TokenState {
    const record = this.#tokens.get(token)
    return record === undefined ? 'unknown' : this.#stateOf(record)
  }

  tokens(): IssuedToken[] {
    return [...this.#tokens.values()].map((r) => ({
      token: r.token,
      hashedToken: hashToken(r.token),
      appId: r.installation.app.id,
      installationId: r.installation.id,
      repositories: r.repositoryIds === undefined ? undefined : this.#repositoriesOf(r).map((repo) => repo.name),
      permissions: r.permissions,
      issuedAt: new Date(r.issuedAtMs),
      expiresAt: new Date(r.expiresAtMs),
      state: this.#stateOf(r),
    }))
  }

  // ---- internals -----------------------------------------------------------------------------

  #stateOf(record: TokenRecord): TokenState {
    if (record.revoked || record.installation.removed) return 'revoked'
    return this.#now() >= record.expiresAtMs ? 'expired' : 'active'
  }

  #requireApp(appId: number): App {
    const app = this.#apps.get(appId)
    if (app === undefined) throw new GitHubError(401, messages.integrationNotFound)
    return app
  }

  #installationOf(appId: number, installationId: number): Installation {
    const installation = this.#installations.get(installationId)
    if (installation === undefined || installation.removed || installation.app.id !== appId) throw new GitHubError(404, messages.notFound)
    return installation
  }

  #account(login: string, type: AccountType): Account {
    const key = login.toLowerCase()
    let account = this.#accounts.get(key)
    if (account === undefined) {
      account = { id: this.#nextId++, login, type, repositories: new Map() }
      this.#accounts.set(key, account)
    }
    return account
  }

  #repository(account: Account, name: string): Repository {
    const key = name.toLowerCase()
    let repository = account.repositories.get(key)
    if (repository === undefined) {
      repository = { id: this.#nextId++, name, account, files: new Map() }
      account.repositories.set(key, repository)
    }
    return repository
  }

  #findRepository(owner: string, name: string): Repository | undefined {
    return this.#accounts.get(owner.toLowerCase())?.repositories.get(name.toLowerCase())
  }

  #installationReaches(installation: Installation, repository: Repository): boolean {
    if (repository.account !== installation.account) return false
    return installation.repositorySelection === 'all' || installation.repositoryIds.has(repository.id)
  }

  #repositoriesOf(record: TokenRecord): Repository[] {
    const { installation } = record
    return [...installation.account.repositories.values()]
      .filter((r) => this.#installationReaches(installation, r) && (record.repositoryIds === undefined || record.repositoryIds.has(r.id)))
      .sort((a, b) => a.id - b.id)
  }

  #reachable(record: TokenRecord, owner: string, name: string): Repository {
    const repository = this.#findRepository(owner, name)
    if (repository === undefined || !this.#repositoriesOf(record).includes(repository)) throw new GitHubError(404, messages.notFound)
    return repository
  }

  #requirePermission(record: TokenRecord, permission: string, level: PermissionLevel): void {
    const held = record.permissions[permission]
    if (held === undefined || (levelRank[held] ?? 0) < (levelRank[level] ?? 0)) throw new GitHubError(403, messages.notAccessibleByIntegration)
  }

  #accountJson(account: Account): Record<string, unknown> {
    return { login: account.login, id: account.id, node_id: `O_${account.id}`, type: account.type, site_admin: false, url: `${this.#baseUrl()}/users/${account.login}` }
  }

  #installationJson(i: Installation): Record<string, unknown> {
    const base = this.#baseUrl()
    return {
      id: i.id,
      account: this.#accountJson(i.account),
      repository_selection: i.repositorySelection,
      access_tokens_url: `${base}/app/installations/${i.id}/access_tokens`,
      repositories_url: `${base}/installation/repositories`,
      html_url: `${base}/organizations/${i.account.login}/settings/installations/${i.id}`,
      app_id: i.app.id,
      app_slug: i.app.slug,
      target_id: i.account.id,
      target_type: i.account.type,
      permissions: i.permissions,
      events: [],
      created_at: i.createdAt,
      updated_at: i.createdAt,
      single_file_name: null,
      suspended_at: null,
      suspended_by: null,
    }
  }

  #repositoryJson(r: Repository): Record<string, unknown> {
    const fullName = `${r.account.login}/${r.name}`
    return { id: r.id, node_id: `R_${r.id}`, name: r.name, full_name: fullName, private: true, owner: this.#accountJson(r.account), url: `${this.#baseUrl()}/repos/${fullName}` }
  }

  #fileJson(r: Repository, path: string, file: { content: string; sha: string }): Record<string, unknown> {
    return { type: 'file', encoding: 'base64', name: path.split('/').pop(), path, sha: file.sha, content: file.content, url: `${this.#baseUrl()}/repos/${r.account.login}/${r.name}/contents/${path}` }
  }
}
