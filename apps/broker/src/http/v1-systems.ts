import { Router } from 'express'
import type { SystemEntry } from '@lanyard/core'
import { allow, readers } from './access.js'

/** How long one system's health check may take before it counts as down. */
const healthTimeoutMs = 10_000

interface SystemHealth {
  readonly name: string
  readonly type: string
  readonly ok: boolean
  readonly detail?: string
  readonly ms: number
}

/**
 * GET /v1/systems/health: a dry connection test of every configured system, all at once: each
 * connector's `health` hook (the connector SDK contract requires one; each calls its upstream
 * without minting anything: GitHub's app endpoint, STS GetCallerIdentity, the OAuth server's
 * discovery). A check that throws or passes `healthTimeoutMs` is `ok: false`. `detail` is the
 * connector's short, secret-free text; an unexpected throw shows its class only, never its message.
 */
export function v1SystemRoutes(systems: ReadonlyMap<string, SystemEntry>): Router {
  const router = Router()
  router.get('/systems/health', allow(...readers), async (_req, res) => {
    const checked = await Promise.all([...systems.values()].map((system) => check(system)))
    res.json({ ok: checked.every((s) => s.ok), systems: checked })
  })
  return router
}

async function check(system: SystemEntry): Promise<SystemHealth> {
  const started = performance.now()
  const ms = () => Math.round(performance.now() - started)
  try {
    const health = await system.instance.health(AbortSignal.timeout(healthTimeoutMs))
    return { name: system.name, type: system.type, ok: health.ok, ...(health.detail === undefined ? {} : { detail: health.detail }), ms: ms() }
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    return { name: system.name, type: system.type, ok: false, detail: timedOut ? `no answer within ${healthTimeoutMs / 1000} s` : `health check failed (${error instanceof Error ? error.name : 'error'})`, ms: ms() }
  }
}
