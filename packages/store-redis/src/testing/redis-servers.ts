import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/** The shared Redis the task runs on; tests keep to their own random prefix there. */
export const sharedRedisUrl = 'redis://127.0.0.1:6379'

/** A prefix no other run uses: `lt-<8 hex>`; cases add their own suffix to it. */
export function runPrefix(): string {
  return `lt-${randomUUID().slice(0, 8)}`
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A free loopback port whose cluster bus port (+10000) is free too. */
export async function sparePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    if (port > 1024 && port < 55_000 && (await listenable(port + 10_000))) return port
  }
}

export interface RedisProcess {
  readonly port: number
  readonly url: string
  /** SIGKILL, and wait for the exit: the store sees the connection drop, no goodbye. */
  kill(): Promise<void>
  /** Starts again on the same port (empty: no persistence). */
  restart(): Promise<void>
  /** SIGSTOP / SIGCONT: a server that holds connections open and answers nothing. */
  pause(): void
  resume(): void
  /** Kills it for good and removes its folder. */
  stop(): Promise<void>
}

/**
 * Starts a redis-server and resolves once it logs that it accepts connections. `persist`: an
 * append-only file fsynced on every write, so what a killed server acknowledged is there after
 * a restart. `args`: more redis-server options (`--replicaof host port`).
 */
export async function startRedis(options: { port?: number; cluster?: boolean; persist?: boolean; args?: readonly string[] } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await sparePort())
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-redis-'))
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no', ...(options.args ?? [])]
    // A fresh nodes file per start: the restarted node is a new, empty node.
    if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}-${randomUUID().slice(0, 6)}.conf`))
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let log = ''
      proc.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString()
        if (log.includes('Ready to accept connections')) resolve()
      })
      proc.once('exit', (code) => reject(new Error(`redis-server on ${port} exited (${code}): ${log.slice(-500)}`)))
    })
  }

  async function kill(): Promise<void> {
    const proc = child
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
    child = undefined
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisCluster {
  readonly nodes: { host: string; port: number }[]
  readonly url: string
  /** Kills one master: its slots go uncovered, keyless commands (PUBLISH) still work elsewhere. */
  kill(port: number): Promise<void>
  stop(): Promise<void>
}

/** Three masters, no replicas, all 16384 slots assigned, `cluster_state:ok` on every node. */
export async function startCluster(): Promise<RedisCluster> {
  const servers: RedisProcess[] = []
  for (let i = 0; i < 3; i++) servers.push(await startRedis({ port: await sparePort(), cluster: true }))
  const addresses = servers.map((s) => `127.0.0.1:${s.port}`)
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 20_000 })
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`)
  for (const server of servers) {
    const probe = new Redis(server.url)
    try {
      // The nodes gossip their slot maps; wait until each agrees the cluster is whole.
      for (let round = 0; !(await probe.cluster('INFO')).includes('cluster_state:ok'); round++) {
        if (round > 200) throw new Error(`cluster node ${server.port} never reached cluster_state:ok`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    } finally {
      probe.disconnect()
    }
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    url: servers[0]!.url,
    async kill(port) {
      await servers.find((s) => s.port === port)?.kill()
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}

/** Deletes every key of a run on the given nodes (`<prefix>*` and `{<prefix>*`, the agent tags). */
export async function deleteKeys(urls: readonly string[], prefix: string): Promise<number> {
  let deleted = 0
  for (const url of urls) {
    const redis = new Redis(url)
    try {
      for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
        let cursor = '0'
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
          cursor = next
          // One key per DEL: in a cluster, keys of one scan page live in many slots.
          for (const key of keys) deleted += await redis.del(key)
        } while (cursor !== '0')
      }
    } finally {
      redis.disconnect()
    }
  }
  return deleted
}
