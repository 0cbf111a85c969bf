import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'

/** The OAuth stand-in's protected API (opaque tokens, so a revocation shows there). */
const LEDGER = 'https://ledger.sandbox.test/'

/** Stand-ins for GitHub, AWS STS/IAM and an OAuth server, and the lanyard.yaml pointing at them. */
export interface SandboxWorld {
  /** lanyard.yaml, as written to `<dir>/lanyard.yaml`. */
  readonly yaml: string
  readonly urls: { readonly github: string; readonly aws: string; readonly oauth: string }
  /** Binding targets that exist in the stand-ins. */
  readonly targets: { readonly github: unknown; readonly aws: unknown; readonly oauth: unknown }
  close(): Promise<void>
}

/**
 * Starts the three stand-ins on 127.0.0.1 (ephemeral ports): a GitHub App installed on `acme`
 * (repositories api and web), an AWS account with an IAM user's key and a role agents assume
 * (`lanyard-sandbox-agents`), an OAuth server with one client (`sandbox-bot`). Their secrets go
 * to files in `dir` (mode 0600), which the configuration references as a real one would; the
 * broker's own data goes to `<dir>/data` when served with `--data-dir`. Nothing secret is printed.
 */
export async function startSandboxWorld(dir: string): Promise<SandboxWorld> {
  const { startGitHubSandbox, startAwsSandbox, startOAuthSandbox } = await import('@lanyard/sandbox')
  const root = resolve(dir)
  await mkdir(root, { recursive: true, mode: 0o700 })
  const closers: (() => Promise<void>)[] = []
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined)
  }
  try {
    const github = await startGitHubSandbox()
    closers.push(() => github.close())
    const app = await github.createApp()
    github.addInstallation({ appId: app.appId, account: 'acme', repositories: ['api', 'web'], permissions: { contents: 'write', issues: 'write', metadata: 'read' } })

    const aws = await startAwsSandbox()
    closers.push(() => aws.close())
    // The broker's own key (an IAM user allowed the role-policy calls revocation makes).
    const key = aws.addAccessKey({ iam: true, userName: 'lanyard-broker' })
    const role = aws.createRole({ name: 'lanyard-sandbox-agents', maxSessionDurationSeconds: 3600 })

    const oauthSecret = randomBytes(24).toString('base64url')
    const oauth = await startOAuthSandbox({
      scopes: ['read', 'write'],
      resources: { [LEDGER]: { scopes: ['read', 'write'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 600 } },
      clients: [{ clientId: 'sandbox-bot', auth: 'client_secret_basic', clientSecret: oauthSecret }],
    })
    closers.push(() => oauth.close())

    const secret = (name: string) => join(root, name)
    await writeFile(secret('github-app.pem'), app.privateKeyPem, { mode: 0o600 })
    await writeFile(secret('aws-secret-access-key'), key.secretAccessKey, { mode: 0o600 })
    await writeFile(secret('oauth-client-secret'), oauthSecret, { mode: 0o600 })
    const config = {
      sandbox: true,
      upstream: { allowInsecureUpstreamHttp: true },
      systems: [
        { name: 'github-sandbox', type: 'github', appId: app.appId, privateKey: { file: secret('github-app.pem') }, baseUrl: github.url },
        { name: 'aws-sandbox', type: 'aws', mode: 'assume-role', endpoint: aws.url, region: aws.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: { file: secret('aws-secret-access-key') } } },
        { name: 'oauth-sandbox', type: 'oauth', issuer: oauth.issuer, allowInsecureUpstreamHttp: true, clients: [{ clientId: 'sandbox-bot', auth: 'client_secret_basic', clientSecret: { file: secret('oauth-client-secret') } }] },
      ],
    }
    const yaml = `# lanyard.yaml for the stand-ins of \`lanyard sandbox\` (local only: sandbox: true)\n${stringify(config)}`
    // Written last, in one go: its presence says the stand-ins are up.
    await writeFile(join(root, 'lanyard.yaml.tmp'), yaml, { mode: 0o600 })
    await rename(join(root, 'lanyard.yaml.tmp'), join(root, 'lanyard.yaml'))
    return {
      yaml,
      urls: { github: github.url, aws: aws.url, oauth: oauth.issuer },
      targets: { github: { account: 'acme' }, aws: { roleArn: role.arn }, oauth: { clientId: 'sandbox-bot' } },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
