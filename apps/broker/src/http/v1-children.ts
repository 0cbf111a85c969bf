import { Router, type RequestHandler } from 'express'
import { z } from 'zod'
import { ClientUnauthorized, DelegationDenied, type Lanyard } from '@lanyard/core'
import { allowOwner, ownerReach, readers, type AccessHandler } from './access.js'
import { parseInput } from './validate.js'
import { reasonBody } from './v1-agents.js'
import { agentCutJson, agentJson, bindingJson, keyJson } from './wire.js'

const labels = z.record(z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys: lower-case, digits, . _ / -'), z.string().max(256))
export const spawnBody = z
  .object({
    name: z.string().min(1).max(64),
    ceilings: z.record(z.string().min(1).max(64), z.array(z.string().min(1).max(512)).min(1).max(200)),
    ttlSeconds: z.number().int().optional(),
    labels: labels.optional(),
    publicJwk: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

/**
 * Who may act on `/v1/agents/{parent}/children...`: an admin principal the route's roles admit
 * (`access`, declared like every /v1 route's), or the parent itself with its own handle token
 * (active, current generation, not revoked). Sets `res.locals.actor`: the admin's principal, or
 * `agent:<parent>`. A DPoP-bound handle token is refused here: it is worth nothing without its
 * proof, and this route does not take proofs.
 */
function parentOrAdmin(lanyard: Lanyard, adminAuth: RequestHandler, access: AccessHandler): AccessHandler {
  const handler: RequestHandler = (req, res, next) => {
    adminAuth(req, res, (adminError?: unknown) => {
      if (adminError === undefined) {
        void access(req, res, next)
        return
      }
      const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(req.headers.authorization ?? '')?.[1]
      if (bearer === undefined) return next(adminError)
      lanyard
        .introspect(bearer)
        .then(({ active, claims }) => {
          if (!active || claims === undefined) return next(new ClientUnauthorized({ detail: 'neither an admin token nor an active handle token' }))
          if (claims.jkt !== undefined) return next(new ClientUnauthorized({ detail: 'DPoP-bound handle token on a route that takes no proof' }))
          const parent = String(req.params.parent).toLowerCase()
          if (claims.handle !== parent) return next(new DelegationDenied(`a handle token of "${claims.handle}" acts only on its own children`, 'not-parent'))
          res.locals.actor = `agent:${claims.handle}`
          next()
        })
        .catch(next)
    })
  }
  return Object.assign(handler, { access: access.access })
}

/**
 * /v1/agents/{parent}/children (#17): a parent spawns, lists, suspends and revokes its own
 * children, and nothing else; the admin may do the same. Mounted before the admin-only /v1.
 */
export function v1ChildRoutes(lanyard: Lanyard, adminAuth: RequestHandler, jsonBody: readonly RequestHandler[]): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  // Who calls first, then the body (as on the admin /v1): these routes only, never all of /v1.
  const by = (access: AccessHandler): RequestHandler[] => [parentOrAdmin(lanyard, adminAuth, access), ...jsonBody]
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)

  router.post('/agents/:parent/children', ...by(allowOwner(own.parent)), async (req, res) => {
    const body = parseInput(spawnBody, req.body, 'body')
    const spawned = await lanyard.spawnChild(actor(res), String(req.params.parent), {
      name: body.name, ceilings: body.ceilings,
      ...(body.ttlSeconds === undefined ? {} : { ttlSeconds: body.ttlSeconds }),
      ...(body.labels === undefined ? {} : { labels: body.labels }),
      ...(body.publicJwk === undefined ? {} : { publicJwk: body.publicJwk }),
    })
    res.setHeader('Cache-Control', 'no-store')
    res.status(201).location(`/v1/agents/${encodeURIComponent(spawned.agent.handle)}`).json({
      ...agentJson(spawned.agent),
      bindings: spawned.bindings.map(bindingJson),
      key: keyJson(spawned.key),
      // Shown once: the broker keeps only the public half.
      ...(spawned.privateJwk === undefined ? {} : { private_jwk: spawned.privateJwk }),
    })
  })
  router.get('/agents/:parent/children', ...by(allowOwner(own.parent, ...readers)), async (req, res) => {
    res.json({ children: (await lanyard.listChildren(String(req.params.parent))).map(agentJson) })
  })
  router.post('/agents/:parent/children/:child/suspend', ...by(allowOwner(own.parent, 'responder')), async (req, res) => {
    const { reason } = parseInput(reasonBody, req.body, 'body')
    const child = await lanyard.childOf(String(req.params.parent), String(req.params.child))
    res.json(agentJson(await lanyard.suspend(actor(res), child.handle, reason)))
  })
  router.post('/agents/:parent/children/:child/revoke', ...by(allowOwner(own.parent, 'responder')), async (req, res) => {
    const { reason } = parseInput(reasonBody, req.body, 'body')
    const child = await lanyard.childOf(String(req.params.parent), String(req.params.child))
    const cut = await lanyard.revoke(actor(res), child.handle, reason)
    res.status(202).location(`/v1/revocations/${cut.revocation.id}`).json(agentCutJson(cut))
  })
  return router
}
