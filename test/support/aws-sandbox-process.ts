/**
 * The AWS stand-in as a child process, for test runs that are not TypeScript (the Python
 * client's pytest suite, clients/python/tests/conftest.py). One JSON object per line:
 *
 * 1. On start it prints `{ url, region, accountId }`: the endpoint to configure as the `aws`
 *    system's `endpoint`.
 * 2. Given `{ "trust": "<broker issuer>" }` on stdin (the broker must be up: the provider is
 *    discovered), it registers the broker as an IAM OIDC provider and creates the role
 *    `agents-deploy` that trusts agents `*@agents.test.dev`, as aws.test.ts does; it prints
 *    `{ roleArn }`.
 * 3. Given `{ "check": { accessKeyId, secretAccessKey, sessionToken, action, resource } }`, it
 *    prints `{ decision }` (`allowed`, `implicitDeny`, ...) or `{ error: <AWS error code> }`:
 *    whether AWS would honour those session credentials.
 *
 * It exits when stdin closes. Start it with `node --conditions=lanyard-source --import tsx`.
 */
import { createInterface } from 'node:readline'
import { AwsSandboxError, startAwsSandbox } from '@lanyard/sandbox'

const aws = await startAwsSandbox()
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)

async function trust(issuer: string): Promise<{ roleArn: string }> {
  const provider = await aws.addOidcProvider({ url: issuer, audiences: ['sts.amazonaws.com'] })
  const host = issuer.replace(/^https?:\/\//, '')
  const role = aws.createRole({
    name: 'agents-deploy',
    maxSessionDurationSeconds: 3600,
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: provider.arn },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' }, StringLike: { [`${host}:sub`]: ['*@agents.test.dev', 'lanyard-binding-check'] } },
      }],
    },
  })
  return { roleArn: role.arn }
}

interface Check {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  action: string
  resource: string
}

function check({ action, resource, ...credentials }: Check): { decision: string } | { error: string } {
  try {
    return { decision: aws.checkAccess({ credentials, action, resource }) }
  } catch (error) {
    if (error instanceof AwsSandboxError) return { error: error.code }
    throw error
  }
}

print({ url: aws.url, region: aws.region, accountId: aws.accountId })
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  try {
    const command = JSON.parse(line) as { trust?: string; check?: Check }
    if (typeof command.trust === 'string') print(await trust(command.trust))
    else if (command.check) print(check(command.check))
    else print({ error: 'unknown command' })
  } catch (error) {
    print({ error: error instanceof Error ? error.message : String(error) })
  }
}
await aws.close()
