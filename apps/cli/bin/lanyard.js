#!/usr/bin/env node
// Runs the CLI from its TypeScript source: re-executes Node with the `lanyard-source`
// condition and the tsx loader, forwarding arguments, stdio, signals and the exit code.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const tsx = pathToFileURL(require.resolve('tsx')).href
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const child = spawn(process.execPath, ['--conditions=lanyard-source', '--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)))
