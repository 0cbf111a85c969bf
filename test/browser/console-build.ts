import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const consoleDir = fileURLToPath(new URL('../../apps/console', import.meta.url))

/** Builds apps/console when its dist/ is missing (the broker serves it at /console). */
export function ensureConsoleBuilt(): void {
  if (existsSync(`${consoleDir}/dist/index.html`)) return
  execFileSync('pnpm', ['run', 'build'], { cwd: consoleDir, stdio: 'inherit', timeout: 240_000 })
}

/** Screenshots of the main pages: test artifacts, gitignored, never committed. */
export const artifactsDir = fileURLToPath(new URL('../../test-artifacts/console', import.meta.url))
