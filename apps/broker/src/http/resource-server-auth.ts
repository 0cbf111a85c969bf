import type { RequestHandler } from 'express'
import type { SystemEntry } from '@lanyard/core'
import { allow, readers, type AccessHandler } from './access.js'

/** Who called, on the routes resource servers use: the admin, or the resource server of these resources. */
export interface ResourceServerCaller {
  readonly system: string
  readonly resources: readonly string[]
}

/**
 * For the revocation event stream and introspection: the admin bearer, or the credential an
 * `mcp` system configures for its resource server (`resourceServerToken`). A resource server
 * is set at `res.locals.resourceServer`; it gets nothing of the admin API. Admins need a role
 * that reads everything (declared as `access`, like every /v1 route's, for the route-table test).
 */
export function resourceServerAuth(adminAuth: RequestHandler, systems: ReadonlyMap<string, SystemEntry>): AccessHandler {
  // Reading who holds a token, or the revocation stream: the roles that read everything.
  const readersOnly = allow(...readers)
  const admin: RequestHandler = (req, res, next) => adminAuth(req, res, (error?: unknown) => (error === undefined ? readersOnly(req, res, next) : next(error)))
  const servers = [...systems.values()].filter((s) => s.instance.isResourceServerCredential !== undefined)
  const handler: RequestHandler = (req, res, next) => {
    const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const server = bearer === undefined ? undefined : servers.find((s) => s.instance.isResourceServerCredential!(bearer))
    if (server === undefined) {
      admin(req, res, next)
      return
    }
    res.locals.actor = `resource-server:${server.name}`
    res.locals.resourceServer = { system: server.name, resources: server.instance.resources ?? [] } satisfies ResourceServerCaller
    next()
  }
  return Object.assign(handler, { access: readersOnly.access })
}

/** The resource server calling, if it is one (not the admin). */
export function resourceServerOf(locals: Record<string, unknown>): ResourceServerCaller | undefined {
  return locals.resourceServer as ResourceServerCaller | undefined
}
