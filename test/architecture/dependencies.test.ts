import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

// The dependency direction of shared/DESIGN.md, checked on every package.json and on every
// import specifier under src/ (tests included: a test may reach further, see `testOnly`).
const root = new URL('../../', import.meta.url).pathname

/** Which project packages and which outside modules each package's runtime source may import. */
const allowed: Record<string, { project: string[]; external: RegExp }> = {
  '@lanyard/core': { project: [], external: /^(jose|uuid)$/ },
  '@lanyard/connector-sdk': { project: ['@lanyard/core'], external: /^(zod|semver|ipaddr\.js)$/ },
  '@lanyard/connector-github': { project: ['@lanyard/connector-sdk'], external: /^(zod|@octokit\/.+)$/ },
  '@lanyard/connector-aws': { project: ['@lanyard/connector-sdk'], external: /^(zod|@aws-sdk\/.+|@smithy\/.+)$/ },
  '@lanyard/connector-oauth': { project: ['@lanyard/connector-sdk'], external: /^(zod|openid-client|jose)$/ },
  // The broker itself is its upstream, reached through the host's signer and fetch.
  '@lanyard/connector-mcp': { project: ['@lanyard/connector-sdk'], external: /^(zod)$/ },
  // Published for MCP servers: nothing of the project.
  '@lanyard/mcp': { project: [], external: /^(jose|eventsource-parser)$/ },
  '@lanyard/store-sqlite': { project: ['@lanyard/core'], external: /^(better-sqlite3)$/ },
  '@lanyard/store-redis': { project: ['@lanyard/core'], external: /^(ioredis)$/ },
  '@lanyard/client': { project: [], external: /^(jose)$/ },
  '@lanyard/sandbox': { project: [], external: /^(jose|oidc-provider|@smithy\/.+|@aws-crypto\/.+|fast-xml-parser)$/ },
}

const packageDirs = ['packages', 'apps'].flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name))).filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false }))
const manifests = packageDirs.map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> } }))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path)
    return /\.ts$/.test(entry.name) ? [path] : []
  })
}

/** `testing/` entries and tests may import vitest and the package's test peers. */
const testOnly = (file: string) => /\/src\/testing\/|\.test(-d)?\.ts$/.test(file)

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!)
}

const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!)

describe('dependency direction', () => {
  for (const { dir, manifest } of manifests) {
    const rule = allowed[manifest.name]
    if (rule === undefined) continue
    it(`${manifest.name} imports only what DESIGN.md allows`, () => {
      const offending: string[] = []
      for (const file of sourceFiles(join(dir, 'src'))) {
        if (testOnly(file)) continue
        for (const specifier of importsOf(file)) {
          if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
          const name = packageOf(specifier)
          if (name.startsWith('@lanyard/') ? !rule.project.includes(name) : !rule.external.test(name)) offending.push(`${relative(root, file)} -> ${specifier}`)
        }
      }
      expect(offending).toEqual([])
    })

    it(`${manifest.name} declares project dependencies only as DESIGN.md allows`, () => {
      const declared = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((name) => name.startsWith('@lanyard/'))
      expect(declared.filter((name) => !rule.project.includes(name))).toEqual([])
    })
  }

  it('has no cycles between workspace packages', () => {
    const graph = new Map(manifests.map(({ manifest }) => [manifest.name, Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((n) => n.startsWith('@lanyard/'))]))
    const visiting = new Set<string>()
    const done = new Set<string>()
    const cycles: string[] = []
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return
      if (visiting.has(name)) return void cycles.push([...path, name].join(' -> '))
      visiting.add(name)
      for (const next of graph.get(name) ?? []) visit(next, [...path, name])
      visiting.delete(name)
      done.add(name)
    }
    for (const name of graph.keys()) visit(name, [])
    expect(cycles).toEqual([])
  })

  it('exposes only src/index.ts and src/testing/index.ts to other packages', () => {
    for (const { manifest } of manifests) {
      const exportsField = (manifest as { exports?: Record<string, { 'lanyard-source'?: string }> }).exports ?? {}
      for (const [entry, target] of Object.entries(exportsField)) {
        expect(['./src/index.ts', './src/testing/index.ts'], `${manifest.name} ${entry}`).toContain(target['lanyard-source'])
      }
    }
  })

  // Across packages, only what a package publishes: `@lanyard/x` or `@lanyard/x/testing`, never
  // a path into its folder. Every workspace (packages, apps, the root test/ suites) is checked,
  // tests and fixtures included: a test that reaches into another package's src/ tests
  // something no user can import (STYLE 11: tests import public entries across packages).
  it('apps, test/ and packages reach other packages only through their public entries', () => {
    const publicEntries = new Set(manifests.flatMap(({ manifest }) => Object.keys((manifest as { exports?: Record<string, unknown> }).exports ?? {}).map((entry) => (entry === '.' ? manifest.name : `${manifest.name}/${entry.replace(/^\.\//, '')}`))))
    const workspaces = [...packageDirs, join(root, 'test')]
    const offending: string[] = []
    for (const workspace of workspaces) {
      for (const file of sourceFiles(workspace)) {
        for (const specifier of importsOf(file)) {
          if (specifier.startsWith('@lanyard/')) {
            if (!publicEntries.has(specifier)) offending.push(`${relative(root, file)} -> ${specifier} (not a public entry)`)
            continue
          }
          if (!specifier.startsWith('.')) continue
          const target = resolve(dirname(file), specifier)
          if (!(target + sep).startsWith(workspace + sep)) offending.push(`${relative(root, file)} -> ${specifier} (outside ${relative(root, workspace)})`)
        }
      }
    }
    expect(offending).toEqual([])
  })
})
