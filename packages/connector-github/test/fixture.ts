import { generateKeyPairSync } from 'node:crypto'
import { SecretValue } from '@lanyard/connector-sdk'
import type { ExchangeCredential, ScopeSet } from '@lanyard/connector-sdk'
import { startGitHubSandbox, type GitHubSandbox } from '@lanyard/sandbox'

/** Every permission level GitHub knows, in order. */
const rank: Record<string, number> = { read: 1, write: 2, admin: 3 }

export const installedRepositories = ['api', 'web', 'docs', 'secret'] as const
export const installedPermissions = { contents: 'write', pull_requests: 'write', issues: 'write', administration: 'write' } as const

/**
 * A GitHub stand-in with one App installed on `acme`, a fake clock shared by the stand-in and
 * the connector host, and a config as the broker hands it over (the key already a SecretValue).
 */
export interface GitHubFixture {
  readonly sandbox: GitHubSandbox
  readonly appId: number
  readonly installationId: number
  readonly config: Record<string, unknown>
  /** Starts at the real time (octokit signs App JWTs with it); tests move it forward. */
  readonly clock: { now(): Date; advanceMs(ms: number): void; reset(): void }
  /** Another RSA key: a config with it is a tampered App key. */
  readonly otherKey: SecretValue
  /** Asks the stand-in, never the connector, whether a token is accepted for every item. */
  works(credential: ExchangeCredential, scopes: ScopeSet): Promise<boolean>
}

/** RSA key generation costs a few hundred ms on a small machine: one per test process. */
let otherPem: string | undefined

export async function startGitHubFixture(): Promise<GitHubFixture> {
  let nowMs = Date.now()
  const sandbox = await startGitHubSandbox({ now: () => nowMs })
  const { appId, privateKeyPem } = await sandbox.createApp()
  const { id: installationId } = sandbox.addInstallation({ appId, account: 'acme', repositories: [...installedRepositories], permissions: installedPermissions })
  return {
    sandbox,
    appId,
    installationId,
    // Fast backoff: the retry cases below wait 1 ms, 4 ms, ... instead of seconds.
    config: { appId, privateKey: new SecretValue(privateKeyPem), baseUrl: sandbox.url, retryBaseDelayMs: 1 },
    clock: { now: () => new Date(nowMs), advanceMs: (ms) => void (nowMs += ms), reset: () => void (nowMs = Date.now()) },
    get otherKey() {
      otherPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      return new SecretValue(otherPem)
    },
    async works(credential, scopes) {
      const get = (path: string) => fetch(`${sandbox.url}${path}`, { headers: { authorization: `token ${credential.accessToken}` } })
      if ((await get('/installation/repositories')).status !== 200) return false
      const record = sandbox.tokens().find((t) => t.token === credential.accessToken)
      for (const item of scopes) {
        const [kind = '', value = ''] = item.split(':')
        if (kind === 'repo') {
          const names = value === '*' ? installedRepositories : [value]
          for (const name of names) if ((await get(`/repos/acme/${name}`)).status !== 200) return false
        } else if ((rank[record?.permissions[kind] ?? ''] ?? 0) < (rank[value] ?? 99)) {
          return false
        }
      }
      return true
    },
  }
}
