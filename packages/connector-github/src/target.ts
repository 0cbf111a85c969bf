import { BindingInvalid, ScopeUnknown } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'
import { z } from 'zod'
import { ensureNotAborted, statusOf, stringEntries, translate, untilAborted, type GitHubClient } from './client.js'
import { revokeToken } from './revoke.js'
import { githubScopes, holds, parseScopeItem, toTokenRequest } from './scopes.js'

/** GitHub logins: letters, digits, `-` (and `_` on Enterprise managed users). */
const login = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, { message: 'expected a GitHub account login' })

/**
 * What a binding points at: one installation of the App, by id or by the account login it is
 * installed on. `validateBinding` resolves a login to the id and checks both agree; the
 * stored target then holds both.
 */
export const githubTarget = z
  .object({ installationId: z.number().int().positive().optional(), account: login.optional() })
  .strict()
  .refine((t) => t.installationId !== undefined || t.account !== undefined, { message: 'expected installationId or account' })

export type GitHubTarget = z.output<typeof githubTarget>

interface Installation {
  readonly id: number
  readonly account: string
  readonly permissions: Readonly<Record<string, string>>
}

async function accountInstallation(client: GitHubClient, login: string, signal: AbortSignal) {
  try {
    return (await client.app.request('GET /orgs/{org}/installation', { org: login, request: { signal } })).data
  } catch (error) {
    if (statusOf(error) !== 404) throw error
    return (await client.app.request('GET /users/{username}/installation', { username: login, request: { signal } })).data
  }
}

/**
 * The installation a target names. (1) By id: `GET /app/installations/{id}`, and when the
 * target also names an account, it must be that installation's. (2) By login: the
 * organisation's `GET /orgs/{org}/installation` first (octokit's `apps.getOrgInstallation`,
 * what GitHub documents for organisations), then, when no organisation has that login, the
 * user's `GET /users/{username}/installation` (`apps.getUserInstallation`).
 * Not found is BindingInvalid: the App is not installed there.
 */
export async function resolveInstallation(client: GitHubClient, target: GitHubTarget, signal: AbortSignal): Promise<Installation> {
  const appId = client.config.appId
  let data: { id: number; account: unknown; permissions: Record<string, string | undefined> }
  try {
    data = await untilAborted(signal, async () =>
      target.installationId !== undefined
        ? (await client.app.request('GET /app/installations/{installation_id}', { installation_id: target.installationId, request: { signal } })).data
        : await accountInstallation(client, target.account ?? '', signal),
    )
  } catch (error) {
    if (statusOf(error) !== 404) throw translate(client, error, 'find the installation')
    throw new BindingInvalid(
      target.installationId !== undefined ? `App ${appId} has no installation ${target.installationId}` : `App ${appId} is not installed on account "${target.account}"`,
    )
  }
  const account = data.account !== null && typeof data.account === 'object' && 'login' in data.account ? String(data.account.login) : ''
  if (target.account !== undefined && account.toLowerCase() !== target.account.toLowerCase()) {
    throw new BindingInvalid(`installation ${data.id} is on account "${account}", not "${target.account}"`)
  }
  return { id: data.id, account, permissions: stringEntries(data.permissions) }
}

/**
 * At bind time: (1) every ceiling item is a GitHub scope (ScopeUnknown names the first that is
 * not), and the ceiling names at least one permission and one repository item (`repo:*` for
 * all); (2) the installation exists for this App; (3) it holds every ceiling permission at that
 * level; (4) it reaches every ceiling repository: checked by minting a metadata-only token for
 * exactly those repositories (GitHub answers 422 otherwise), revoked at once.
 * Returns the target with both id and account login.
 */
export async function validateBinding(client: GitHubClient, target: GitHubTarget, ceiling: ScopeSet, signal: AbortSignal): Promise<GitHubTarget> {
  for (const item of ceiling) if (!githubScopes.isKnown(item)) throw new ScopeUnknown(item)
  ensureNotAborted(client, signal, 'validate the binding')
  const wanted = toTokenRequest(ceiling)
  if (wanted === undefined) throw new BindingInvalid('the ceiling must name at least one permission (contents:read) and one repository item (repo:NAME, or repo:* for all)')

  const installation = await resolveInstallation(client, target, signal)
  for (const item of ceiling) {
    const parsed = parseScopeItem(item)
    if (parsed?.kind === 'permission' && !holds(installation.permissions, parsed.name, parsed.level)) {
      throw new BindingInvalid(`ceiling item "${item}" exceeds what installation ${installation.id} holds (${parsed.name}: ${installation.permissions[parsed.name] ?? 'none'})`)
    }
  }

  if (wanted.repositories !== undefined) {
    let token: string
    try {
      token = await untilAborted(signal, async () => {
        const { data } = await client.app.request('POST /app/installations/{installation_id}/access_tokens', {
          installation_id: installation.id,
          repositories: [...wanted.repositories ?? []],
          permissions: { metadata: 'read' },
          request: { signal },
        })
        return data.token
      })
    } catch (error) {
      throw statusOf(error) === 422
        ? new BindingInvalid(`installation ${installation.id} does not reach every ceiling repository (${wanted.repositories.join(', ')}) in account "${installation.account}"`)
        : translate(client, error, 'check the ceiling repositories')
    }
    await revokeToken(client, token, signal).catch((error: unknown) =>
      client.host.log.warn({ system: client.system, installation_id: installation.id, error: translate(client, error, 'revoke the bind-time check token').message }, 'bind-time check token left to expire'),
    )
  }
  return { installationId: installation.id, account: installation.account }
}
