import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/** `--ceiling` and `--scope` take the same separators (one parser), and a refusal says what was expected. */
describe('scope separators, the same everywhere', { timeout: 120_000 }, () => {
  const handle = 'scopes-bot@agents.scopes.test'
  let started: CliBroker | undefined
  const cli = (...args: string[]) => runCli(args, { env: started!.env, cwd: started!.dir })
  beforeAll(async () => {
    started = await startCliBroker({ adminToken: `s-${randomBytes(8).toString('hex')}`, config: { logLevel: 'silent', systems: ['one', 'two'].map((name) => ({ name, type: 'memory', upstream: `scopes-${randomBytes(4).toString('hex')}` })) } })
    expect((await cli('agents', 'create', handle, '--owner', 'ops@acme.dev')).code).toBe(0)
    expect((await cli('keys', 'add', handle, '--generate', '--out', 'bot.jwk')).code).toBe(0)
  })
  afterAll(() => started?.close())

  it('--ceiling "read write" and --ceiling read --ceiling write bind the same; --scope read,write, "read write" and repeated exchange the same', async () => {
    const [spaces, repeated] = await Promise.all([
      cli('--json', 'bind', handle, 'one', '--target', '{"account":"default"}', '--ceiling', 'read write'),
      cli('--json', 'bind', handle, 'two', '--target', '{"account":"default"}', '--ceiling', 'read', '--ceiling', 'write'),
    ])
    expect(spaces.code, spaces.stderr).toBe(0)
    expect(repeated.code, repeated.stderr).toBe(0)
    expect((JSON.parse(spaces.stdout) as { ceiling: string[] }).ceiling).toEqual(['read', 'write'])
    expect((JSON.parse(repeated.stdout) as { ceiling: string[] }).ceiling).toEqual(['read', 'write'])
    const agent = ['--handle', handle, '--key', 'bot.jwk']
    const exchanges = await Promise.all([
      cli('exchange', ...agent, '--system', 'one', '--scope', 'read,write'),
      cli('exchange', ...agent, '--system', 'one', '--scope', 'read write'),
      cli('exchange', ...agent, '--system', 'two', '--scope', 'read', '--scope', 'write'),
    ])
    for (const exchanged of exchanges) {
      expect(exchanged.code, exchanged.stderr).toBe(0)
      expect((JSON.parse(exchanged.stdout) as { scope: string }).scope.split(' ').sort()).toEqual(['read', 'write'])
    }
  })

  it('an unknown scope is refused naming the item and saying what was expected', async () => {
    const refused = await cli('exchange', '--handle', handle, '--key', 'bot.jwk', '--system', 'one', '--scope', 'read,admin')
    expect(refused.code).toBe(5)
    expect(refused.stderr).toMatch(/^error: invalid_scope: .*admin.*; expected scopes within the binding's ceiling \(`lanyard agents show scopes-bot@agents\.scopes\.test` lists it\), separated by commas or spaces/)
    const empty = await cli('bind', handle, 'one', '--target', '{}', '--ceiling', ' , ')
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringMatching(/expected one or more scopes, separated by commas or spaces/) })
  })
})
