import { defineScopes, narrowScopes } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'

export type PermissionLevel = 'read' | 'write' | 'admin'

/**
 * GitHub's App permissions and the levels each accepts, from the REST API's `app-permissions`
 * schema (@octokit/openapi-types 29). A name or level outside this table is ScopeUnknown.
 */
const permissionLevels: Readonly<Record<string, readonly PermissionLevel[]>> = (() => {
  const rw: readonly PermissionLevel[] = ['read', 'write']
  const rwa: readonly PermissionLevel[] = ['read', 'write', 'admin']
  const table: Record<string, readonly PermissionLevel[]> = {}
  for (const name of [
    'actions', 'administration', 'artifact_metadata', 'attestations', 'checks', 'code_quality', 'codespaces', 'contents',
    'dependabot_secrets', 'deployments', 'discussions', 'environments', 'issues', 'merge_queues', 'metadata', 'packages',
    'pages', 'pull_requests', 'repository_custom_properties', 'repository_hooks', 'secret_scanning_alerts', 'secrets',
    'security_events', 'single_file', 'statuses', 'vulnerability_alerts', 'custom_properties_for_organizations', 'members',
    'organization_administration', 'organization_custom_roles', 'organization_custom_org_roles',
    'organization_copilot_seat_management', 'organization_copilot_agent_settings', 'organization_announcement_banners',
    'organization_hooks', 'organization_personal_access_tokens', 'organization_personal_access_token_requests',
    'organization_packages', 'organization_secrets', 'organization_self_hosted_runners', 'organization_user_blocking',
    'email_addresses', 'followers', 'git_ssh_keys', 'gpg_keys', 'interaction_limits', 'starring',
  ]) table[name] = rw
  for (const name of ['repository_projects', 'organization_custom_properties', 'organization_projects']) table[name] = rwa
  for (const name of ['organization_events', 'organization_plan']) table[name] = ['read']
  for (const name of ['workflows', 'profile']) table[name] = ['write']
  return table
})()

const levelRank: Readonly<Record<PermissionLevel, number>> = { read: 1, write: 2, admin: 3 }
/** GitHub repository names: letters, digits, `.`, `-`, `_`, at most 100 characters. */
const repositoryItem = /^repo:(\*|[A-Za-z0-9._-]{1,100})$/
const permissionItem = /^([a-z_]+):(read|write|admin)$/

export type ScopeItem =
  | { readonly kind: 'repository'; readonly name: string }
  | { readonly kind: 'all-repositories' }
  | { readonly kind: 'permission'; readonly name: string; readonly level: PermissionLevel }

/** The item's meaning, or undefined when GitHub knows no such permission, level or name. */
export function parseScopeItem(item: string): ScopeItem | undefined {
  const repository = repositoryItem.exec(item)
  if (repository !== null) {
    const name = repository[1] ?? ''
    return name === '*' ? { kind: 'all-repositories' } : name === '.' || name === '..' ? undefined : { kind: 'repository', name }
  }
  const permission = permissionItem.exec(item)
  if (permission === null) return undefined
  const [, name = '', level = ''] = permission
  const levels = permissionLevels[name]
  return levels?.includes(level as PermissionLevel) ? { kind: 'permission', name, level: level as PermissionLevel } : undefined
}

export const githubScopes = defineScopes((item) => parseScopeItem(item) !== undefined, ['contents:read', 'pull_requests:write', 'issues:read', 'repo:api', 'repo:*'])

/**
 * Ceiling item `granted` covers requested item `wanted`: (1) a permission at the same or a
 * higher level (`contents:write` covers `contents:read`); (2) the same repository, compared
 * without case as GitHub does; (3) `repo:*` covers every repository item.
 */
function covers(granted: string, wanted: string): boolean {
  const g = parseScopeItem(granted)
  const w = parseScopeItem(wanted)
  if (g === undefined || w === undefined) return false
  if (g.kind === 'permission') return w.kind === 'permission' && g.name === w.name && levelRank[g.level] >= levelRank[w.level]
  if (g.kind === 'all-repositories') return w.kind !== 'permission'
  return w.kind === 'repository' && g.name.toLowerCase() === w.name.toLowerCase()
}

const isPermission = (item: string) => parseScopeItem(item)?.kind === 'permission'
const isRepository = (item: string) => item.startsWith('repo:')

/**
 * Narrows `requested` against `ceiling`. Every item must be known (ScopeUnknown) and covered
 * (ScopeWidening, naming it). A request that names permissions but no repositories gets the
 * ceiling's repositories, and the other way round, so that a token is never minted with one
 * dimension left open: GitHub reads "none named" as "everything the installation has".
 * An empty request stays empty. Pure.
 */
export function narrowGitHubScopes(ceiling: ScopeSet, requested: ScopeSet): ScopeSet {
  const narrowed = narrowScopes(ceiling, requested, { catalogue: githubScopes, covers })
  if (narrowed.length === 0) return narrowed
  const fill = (has: (item: string) => boolean) => (narrowed.some(has) ? [] : ceiling.filter((item) => has(item) && githubScopes.isKnown(item)))
  return [...new Set([...narrowed, ...fill(isPermission), ...fill(isRepository)])]
}

/** What one token asks GitHub for. `repositories` undefined = every repository the installation has. */
export interface TokenRequest {
  readonly permissions: Readonly<Record<string, PermissionLevel>>
  readonly repositories: readonly string[] | undefined
}

/**
 * Turns narrowed scopes into the body of `POST /app/installations/{id}/access_tokens`.
 * Returns undefined when a dimension is missing (an empty request): minting then would give
 * everything the installation has, so the caller refuses instead.
 */
export function toTokenRequest(scopes: ScopeSet): TokenRequest | undefined {
  const permissions: Record<string, PermissionLevel> = {}
  const repositories = new Map<string, string>()
  let all = false
  for (const item of scopes) {
    const parsed = parseScopeItem(item)
    switch (parsed?.kind) {
      case 'all-repositories':
        all = true
        break
      case 'repository': {
        const key = parsed.name.toLowerCase()
        if (!repositories.has(key)) repositories.set(key, parsed.name)
        break
      }
      case 'permission': {
        const current = permissions[parsed.name]
        if (current === undefined || levelRank[parsed.level] > levelRank[current]) permissions[parsed.name] = parsed.level
        break
      }
    }
  }
  if (Object.keys(permissions).length === 0 || (!all && repositories.size === 0)) return undefined
  return { permissions, repositories: all ? undefined : [...repositories.values()].sort() }
}

/** True when the installation's permissions hold `name` at `level` or above. */
export function holds(installationPermissions: Readonly<Record<string, string>>, name: string, level: PermissionLevel): boolean {
  const held = installationPermissions[name]
  return held !== undefined && held in levelRank && levelRank[held as PermissionLevel] >= levelRank[level]
}
