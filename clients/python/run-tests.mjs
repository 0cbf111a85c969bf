#!/usr/bin/env node
// Runs the Python client's tests (`pnpm test:python`, and the tail of `pnpm test`) with an
// interpreter that has pytest, cryptography, PyJWT and httpx. `python3` on PATH is often a pyenv or
// venv build that cannot see Debian's packages, so the first of LANYARD_PYTHON, /usr/bin/python3
// and python3 that imports all four is used. None: exit 1 with the install line (a missing
// toolchain must fail the run, not skip it).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const candidates = [process.env.LANYARD_PYTHON, existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined, 'python3'].filter(Boolean)
const python = candidates.find((candidate) => spawnSync(candidate, ['-c', 'import pytest, cryptography, jwt, httpx'], { stdio: 'ignore' }).status === 0)
if (!python) {
  process.stderr.write(
    `no Python with pytest, cryptography, PyJWT and httpx among: ${candidates.join(', ')}\n` +
      'install them: apt-get install -y python3-pytest python3-cryptography python3-jwt python3-httpx (or set LANYARD_PYTHON)\n',
  )
  process.exit(1)
}
process.stdout.write(`Python client tests with ${python}\n`)
const result = spawnSync(python, ['-m', 'pytest', 'clients/python', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
