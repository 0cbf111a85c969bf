import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const tsx = pathToFileURL(require.resolve('tsx')).href
const brokerMain = fileURLToPath(new URL('../../apps/broker/src/main.ts', import.meta.url))

export interface BrokerProcess {
  readonly child: ChildProcess
  readonly url: string
  /** SIGKILL: no shutdown hook runs, as in a crash. */
  kill(): Promise<void>
  stop(): Promise<void>
}

/** Runs the broker in its own process (for crash tests), resolving once it listens. */
export function spawnBroker(configPath: string, env: Record<string, string>): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    // LANYARD_CPU_PROF=<dir>: write a V8 CPU profile of each broker process there (benchmarks).
    const profile = process.env.LANYARD_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LANYARD_CPU_PROF}`] : []
    const child = spawn(process.execPath, [...profile, '--conditions=lanyard-source', '--import', tsx, brokerMain, '--config', configPath], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${stderr}`)), 20_000)
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve({
          child,
          url: match[1]!,
          async kill() {
            child.kill('SIGKILL')
            await exited
          },
          async stop() {
            child.kill('SIGTERM')
            await exited
          },
        })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`broker exited with ${code}: ${stderr}`))
    })
  })
}
