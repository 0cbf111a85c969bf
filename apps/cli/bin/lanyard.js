#!/usr/bin/env node
// The `lanyard` command. Runs the CLI in this very process (no second Node process): the PID a
// supervisor signals is the one `lanyard serve` runs the broker in, and the exit code is its own.
//
// By default it runs the JavaScript built into ../dist (`pnpm install` builds it through the
// root `prepare` script; `pnpm build` rebuilds it). LANYARD_CLI_SOURCE=1 runs ../src instead,
// still in-process, through tsx's loader and the `lanyard-source` condition: the test suites use
// it so a test always runs the source it sits beside, never a stale build.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

if (process.env.LANYARD_CLI_SOURCE === '1') {
  // Every `@lanyard/*` import resolves to its TypeScript source, as with --conditions=lanyard-source.
  const addSourceCondition = 'export function resolve(s,c,n){return n(s,{...c,conditions:[...c.conditions,"lanyard-source"]})}'
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
  const { register: registerTsx } = await import('tsx/esm/api')
  registerTsx()
  await import('../src/main.ts')
} else {
  const main = new URL('../dist/main.js', import.meta.url)
  if (!existsSync(main)) {
    process.stderr.write('error: the lanyard CLI is not built: run `pnpm install` (or `pnpm build`) at the repository root\n')
    process.exit(1)
  }
  await import(main.href)
}
