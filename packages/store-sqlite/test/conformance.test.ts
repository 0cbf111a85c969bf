import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Store } from '@lanyard/core'
import { storeConformance } from '@lanyard/core/testing'
import { afterAll } from 'vitest'
import { createSqliteStore } from '../src/index.js'

const folder = mkdtempSync(join(tmpdir(), 'lanyard-sqlite-conformance-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// Replicas open the same file again: two broker processes sharing one data folder.
const paths = new WeakMap<Store, string>()
let files = 0

storeConformance({
  name: 'sqlite',
  async create() {
    files += 1
    const path = join(folder, `store-${files}.db`)
    const store = await createSqliteStore({ path })
    paths.set(store, path)
    return store
  },
  replica: (store) => createSqliteStore({ path: paths.get(store)! }),
  async destroy(store) {
    const path = paths.get(store)!
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  },
})
