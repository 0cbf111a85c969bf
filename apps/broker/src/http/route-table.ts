import type { Express } from 'express'

/** One route of an express app: its method (lower case) and full path in express form. */
export interface RouteEntry {
  readonly method: string
  readonly path: string
  /** The roles its access handler declares (access.ts); undefined: it declares none. */
  readonly roles: readonly string[] | undefined
}

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean>; readonly stack: readonly Layer[] }
  readonly handle: { readonly stack?: readonly Layer[]; readonly access?: { readonly roles: readonly string[] } }
  readonly slash?: boolean
  path?: string
  match(path: string): boolean
}

/**
 * Every route an express 5 app answers, read from its router stacks. Express keeps no mount
 * path on a layer, so a nested router's prefix is found by matching it against the mount
 * points this app uses (`mounts`), root routers being `slash` layers.
 */
export function routeTable(app: Express, mounts: readonly string[] = ['/v1']): RouteEntry[] {
  const routes: RouteEntry[] = []
  const walk = (stack: readonly Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const roles = layer.route.stack.find((l) => l.handle.access !== undefined)?.handle.access?.roles
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.push({ method, path: `${prefix}${layer.route.path}`, roles })
      } else if (layer.handle.stack !== undefined) {
        const mount = layer.slash === true ? '' : mounts.find((m) => layer.match(`${m}/x`))
        if (mount !== undefined) walk(layer.handle.stack, `${prefix}${mount}`)
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '')
  return routes
}
