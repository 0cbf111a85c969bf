import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The ```sh block between `<!-- NAME:start -->` and `<!-- NAME:end -->` of a Markdown file of
 * this repository, as written (octokit's readme-examples test: if a command in it breaks, the
 * test that runs it fails).
 */
export function readmeBlock(path: string, name: string): string {
  const text = readFileSync(join(repositoryRoot, path), 'utf8')
  const block = new RegExp(`<!-- ${name}:start -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(text)?.[1]
  if (block === undefined) throw new Error(`${path} has no ${name} block`)
  return block
}

/**
 * Runs a README block in bash (errexit, pipefail, aliases on), as a user would from the
 * repository root, except that `node apps/cli/bin/lanyard.js` is given its absolute path so the
 * block can run in `cwd`. Asynchronously: a broker answering it may run in the calling process.
 */
export function runReadmeBlock(block: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  const script = `set -euo pipefail\nshopt -s expand_aliases\n${block.replace('node apps/cli/bin/lanyard.js', `node ${join(repositoryRoot, 'apps/cli/bin/lanyard.js')}`)}`
  return promisify(execFile)('bash', ['-c', script], { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: options.timeoutMs })
}
