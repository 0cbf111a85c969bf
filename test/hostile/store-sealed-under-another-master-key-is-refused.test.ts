import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '@lanyard/broker'
import { afterAll, expect, it } from 'vitest'
import { deleteKeys, startTestBroker, storeEnv } from '../support/broker.js'

const dataDir = mkdtempSync(join(tmpdir(), 'lanyard-kek-'))
const keyPrefix = `lanyard-test-kek-${randomBytes(4).toString('hex')}`
const redis = storeEnv().LANYARD_REDIS_URL !== undefined
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  // Both cases' keys (`<prefix>` and `<prefix>-aad`) on the shared Redis.
  if (redis) await deleteKeys(storeEnv().LANYARD_REDIS_URL!, keyPrefix)
})
const store = redis ? { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix } } : {}

it('refuses to start on a store sealed under another master key, naming the cause, and seals nothing', async () => {
  const first = await startTestBroker({ dataDir, config: store, env: { LANYARD_MASTER_KEY: randomBytes(32).toString('base64') } })
  const created = await first.admin('POST', '/v1/agents', { handle: 'kek-bot@agents.test.dev', owner: 'o@acme.dev' })
  expect(created.status).toBe(201)
  const keysBefore = (await first.broker.store.listSigningKeys()).length
  await first.broker.close()

  const other = randomBytes(32).toString('base64')
  const refused = startTestBroker({ dataDir, config: store, env: { LANYARD_MASTER_KEY: other } })
  await expect(refused).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
  await expect(refused).rejects.toThrow(/LANYARD_MASTER_KEY: the store's signing key \S+ was sealed under a different master key/)
  // Nothing new was sealed under the wrong key: the same signing keys, no new ones.
  const { createSqliteStore } = await import('@lanyard/store-sqlite')
  if (!redis) {
    const reopened = await createSqliteStore({ path: join(dataDir, 'lanyard.db') })
    expect((await reopened.listSigningKeys()).length).toBe(keysBefore)
    expect(await reopened.listGrants('kek-bot@agents.test.dev')).toEqual([])
    await reopened.close()
  }
})

it('writes no master key and no admin token for a configuration it refuses', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'lanyard-badconf-'))
  try {
    const bad = startBroker({ env: { LANYARD_DATA_DIR: empty, LANYARD_LOG_LEVEL: 'silent' }, listen: '127.0.0.1:0', notice: () => {}, config: join(empty, 'missing.yaml') })
    await expect(bad).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    const badSystem = mkdtempSync(join(tmpdir(), 'lanyard-badsys-'))
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(badSystem, 'lanyard.yaml'), JSON.stringify({ systems: [{ name: 'gh', type: 'github', appId: -1 }] }))
    const refused = startBroker({ env: { LANYARD_DATA_DIR: join(badSystem, 'data'), LANYARD_LOG_LEVEL: 'silent' }, listen: '127.0.0.1:0', notice: () => {}, config: join(badSystem, 'lanyard.yaml') })
    await expect(refused).rejects.toThrow(/systems\[0\]\.appId/)
    expect(existsSync(join(badSystem, 'data'))).toBe(false)
    expect(readdirSync(badSystem)).toEqual(['lanyard.yaml'])
    // A plain-http upstream without the deployment's insecure switch: refused before any file too.
    writeFileSync(join(badSystem, 'lanyard.yaml'), JSON.stringify({ sandbox: true, systems: [{ name: 'aws', type: 'aws', endpoint: 'http://127.0.0.1:9' }] }))
    const insecure = startBroker({ env: { LANYARD_DATA_DIR: join(badSystem, 'data'), LANYARD_LOG_LEVEL: 'silent' }, listen: '127.0.0.1:0', notice: () => {}, config: join(badSystem, 'lanyard.yaml') })
    await expect(insecure).rejects.toThrow(/systems\[0\]\.endpoint: plain http needs `upstream.allowInsecureUpstreamHttp: true`/)
    expect(readdirSync(badSystem)).toEqual(['lanyard.yaml'])
    rmSync(badSystem, { recursive: true, force: true })
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
})

it('refuses a sealed private key copied onto another key record (AAD binds it to its kid)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-aad-'))
  const prefix = { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: `${keyPrefix}-aad` } }
  const masterKey = randomBytes(32).toString('base64')
  try {
    const first = await startTestBroker({ dataDir: dir, config: redis ? prefix : {}, env: { LANYARD_MASTER_KEY: masterKey } })
    const [a, b] = await first.broker.store.listSigningKeys()
    expect(a && b).toBeTruthy()
    // Someone with write access to the store moves one key's ciphertext onto another record.
    await first.broker.store.putSigningKey({ ...b!, kid: `${b!.kid}-moved`, sealedPrivateKey: a!.sealedPrivateKey })
    await first.broker.close()
    const refused = startTestBroker({ dataDir: dir, config: redis ? prefix : {}, env: { LANYARD_MASTER_KEY: masterKey } })
    await expect(refused).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    await expect(refused).rejects.toThrow(/signing key \S+-moved cannot be opened \(sealed value failed authentication\)/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
