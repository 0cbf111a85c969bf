import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunningBroker } from '@lanyard/broker'
import type { GitHubSandbox, OAuthSandbox } from '@lanyard/sandbox'

/** The OAuth stand-in's one protected API: opaque tokens, so revocation is visible there. */
export const LEDGER = 'https://ledger.demo.test/'
export const OAUTH_CLIENT = 'demo-bot'

/** Stand-ins for GitHub and an OAuth server, and a broker configured for them, in a throwaway folder. */
export interface DemoWorld {
  github: GitHubSandbox
  oauth: OAuthSandbox
  broker: RunningBroker
  dataDir: string
  close(): Promise<void>
}

/**
 * Starts everything on 127.0.0.1 (ephemeral ports unless `listen` says otherwise). Upstream
 * secrets go to files in the data folder (mode 0600) and the configuration references them,
 * as a real lanyard.yaml does; nothing secret is inline or printed.
 */
export async function startDemoWorld(options: { listen?: string } = {}): Promise<DemoWorld> {
  // Loaded here: only the demo needs the stand-ins (oidc-provider alone is a large import).
  const [{ startBroker }, { startGitHubSandbox, startOAuthSandbox }] = await Promise.all([import('@lanyard/broker'), import('@lanyard/sandbox')])
  const dataDir = await mkdtemp(join(tmpdir(), 'lanyard-demo-'))
  const closers: (() => Promise<void>)[] = [() => rm(dataDir, { recursive: true, force: true })]
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined)
  }
  try {
    const github = await startGitHubSandbox()
    closers.push(() => github.close())
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api', 'web'], permissions: { contents: 'write', metadata: 'read' } })

    const oauthSecret = randomBytes(24).toString('base64url')
    const oauth = await startOAuthSandbox({
      scopes: ['read', 'write'],
      resources: { [LEDGER]: { scopes: ['read', 'write'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 600 } },
      clients: [{ clientId: OAUTH_CLIENT, auth: 'client_secret_basic', clientSecret: oauthSecret }],
    })
    closers.push(() => oauth.close())

    await writeFile(join(dataDir, 'github-app.pem'), app.privateKeyPem, { mode: 0o600 })
    await writeFile(join(dataDir, 'oauth-client-secret'), oauthSecret, { mode: 0o600 })
    const config = {
      sandbox: true,
      logLevel: 'warn',
      upstream: { allowInsecureUpstreamHttp: true },
      systems: [
        { name: 'github-acme', type: 'github', appId: app.appId, privateKey: { file: join(dataDir, 'github-app.pem') }, baseUrl: github.url },
        {
          name: 'corp-idp',
          type: 'oauth',
          issuer: oauth.issuer,
          allowInsecureUpstreamHttp: true,
          clients: [{ clientId: OAUTH_CLIENT, auth: 'client_secret_basic', clientSecret: { file: join(dataDir, 'oauth-client-secret') } }],
        },
      ],
    }
    const configPath = join(dataDir, 'lanyard.yaml')
    await writeFile(configPath, JSON.stringify(config, null, 2)) // JSON is YAML
    const broker = await startBroker({
      config: configPath,
      listen: options.listen ?? '127.0.0.1:0',
      env: { LANYARD_DATA_DIR: dataDir, LANYARD_MASTER_KEY: randomBytes(32).toString('base64'), LANYARD_ADMIN_TOKEN: `lyd_admin_${randomBytes(24).toString('base64url')}` },
      notice: () => {},
    })
    closers.push(() => broker.close())
    return { github, oauth, broker, dataDir, close }
  } catch (error) {
    await close()
    throw error
  }
}
