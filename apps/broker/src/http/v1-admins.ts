import { Router } from 'express'
import { z } from 'zod'
import { adminRoles, principalOf, type AdminPrincipal, type Caller, type Lanyard } from '@lanyard/core'
import { allow, callerOf, readers } from './access.js'
import { parseInput } from './validate.js'

export const createBody = z
  .object({
    subject: z.string().min(1).max(254),
    roles: z.array(z.enum(adminRoles)).min(1).max(adminRoles.length),
    /** Seconds from now; none: the token lives until revoked. */
    expires_in_seconds: z.number().int().min(60).max(31_536_000 * 5).optional(),
  })
  .strict()

/** The wire form of an admin: never its token or its token's hash. */
export const adminJson = (a: AdminPrincipal) => ({
  principal: principalOf(a.subject),
  subject: a.subject,
  roles: a.roles,
  created_at: a.createdAt.toISOString(),
  created_by: a.createdBy,
  expires_at: a.expiresAt?.toISOString() ?? null,
  revoked_at: a.revokedAt?.toISOString() ?? null,
})

/** The caller as /v1/me and the console session answer it. */
export const callerJson = (c: Caller) => ({ principal: c.principal, subject: c.subject, roles: c.roles, via: c.via })

/**
 * /v1/me and /v1/admins: who is calling; named admins (their token is answered once, on
 * creation, and only its SHA-256 is kept); the bootstrap token's retirement.
 */
export function v1AdminRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const actor = (res: { locals: Record<string, unknown> }) => callerOf(res.locals).principal

  router.get('/me', allow(...readers, 'owner'), (_req, res) => {
    res.json(callerJson(callerOf(res.locals)))
  })
  router.post('/admins', allow(), async (req, res) => {
    const body = parseInput(createBody, req.body, 'body')
    const { admin, token } = await lanyard.createAdmin(actor(res), { subject: body.subject, roles: body.roles, ...(body.expires_in_seconds === undefined ? {} : { expiresInSeconds: body.expires_in_seconds }) })
    res.status(201).location(`/v1/admins/${encodeURIComponent(admin.subject)}`).setHeader('Cache-Control', 'no-store').json({ ...adminJson(admin), token })
  })
  router.get('/admins', allow(...readers), async (_req, res) => {
    const [admins, retired] = await Promise.all([lanyard.listAdmins(), lanyard.isBootstrapRetired()])
    res.json({ admins: admins.map(adminJson), bootstrap_retired: retired })
  })
  router.delete('/admins/:subject', allow(), async (req, res) => {
    res.json(adminJson(await lanyard.revokeAdmin(actor(res), req.params.subject)))
  })
  router.post('/admins/bootstrap/retire', allow(), async (_req, res) => {
    const at = await lanyard.retireBootstrap(actor(res))
    res.json({ bootstrap_retired: true, retired_at: at.toISOString() })
  })
  return router
}
