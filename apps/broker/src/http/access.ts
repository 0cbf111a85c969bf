import type { Request, RequestHandler } from 'express'
import { AgentNotFound, HandleInvalid, RevocationNotFound, RoleRequired, type AdminRole, type Caller, type Lanyard } from '@lanyard/core'

/**
 * Who may call each /v1 route, declared in one place per route: its `allow(...)` or
 * `allowOwner(...)` handler, first in the route's chain. `admin` may do everything and is
 * implied. A route test walks the express route table and fails on a /v1 route without one
 * (test: access.test.ts, with the whole table written out).
 *
 * (1) A caller holding one of the route's roles passes.
 * (2) Else, on a route that admits owners, a caller with the `owner` role passes when the
 *     route's reach check says the thing is its own (an agent whose `owner` is its subject).
 * (3) Else 403 RoleRequired naming every role that would pass.
 */
export interface RouteAccess {
  /** Every role that may call the route; `owner` when owners may, on their own agents. */
  readonly roles: readonly AdminRole[]
}

// Params typed loosely so that each route's own handler still gets its path's params.
export type AccessHandler = RequestHandler<any> & { readonly access: RouteAccess }

/** Whether the thing `req` acts on belongs to `subject` (an owner's reach). */
export type OwnerReach = (req: Request, subject: string) => Promise<boolean>

/** The caller set by admin authentication (admin-auth.ts). */
export function callerOf(locals: Record<string, unknown>): Caller {
  return locals.caller as Caller
}

function declare(roles: readonly AdminRole[], reach: OwnerReach | undefined): AccessHandler {
  const allowed: AdminRole[] = ['admin', ...roles.filter((r) => r !== 'admin'), ...(reach === undefined ? [] : (['owner'] as const))]
  const outright = new Set<AdminRole>(allowed.filter((r) => r !== 'owner' || reach === undefined))
  const handler: RequestHandler = (req, res, next) => {
    const caller = callerOf(res.locals)
    if (caller.roles.some((role) => outright.has(role))) return next()
    if (reach === undefined || !caller.roles.includes('owner')) return next(new RoleRequired(allowed))
    reach(req, caller.subject).then((own) => next(own ? undefined : new RoleRequired(allowed, { why: 'an owner acts on its own agents only' })), next)
  }
  return Object.assign(handler, { access: { roles: allowed } })
}

/** Admits callers with one of `roles` (admin is implied). */
export function allow(...roles: AdminRole[]): AccessHandler {
  return declare(roles, undefined)
}

/** Admits callers with one of `roles`, and owners where `reach` holds. */
export function allowOwner(reach: OwnerReach, ...roles: AdminRole[]): AccessHandler {
  return declare(roles, reach)
}

/** Read-only roles: everything an auditor and a responder may read. */
export const readers: readonly AdminRole[] = ['responder', 'auditor']

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** An owner's reach checks; an unknown agent or revocation is nobody's own (403, not 404). */
export function ownerReach(lanyard: Lanyard): Record<'agent' | 'parent' | 'newAgent' | 'list' | 'self' | 'revocation', OwnerReach> {
  const ownsAgent = async (handle: unknown, subject: string) => {
    try {
      return same((await lanyard.getAgent(String(handle))).owner, subject)
    } catch (error) {
      if (error instanceof AgentNotFound || error instanceof HandleInvalid) return false
      throw error
    }
  }
  return {
    /** `:handle` is an agent the owner owns. */
    agent: ((req, subject) => ownsAgent(req.params.handle, subject)) satisfies OwnerReach,
    /** `:parent` (of /children routes) is an agent the owner owns. */
    parent: ((req, subject) => ownsAgent(req.params.parent, subject)) satisfies OwnerReach,
    /** The body creates an agent owned by the caller. */
    newAgent: (async (req, subject) => typeof req.body?.owner === 'string' && same(req.body.owner, subject)) satisfies OwnerReach,
    /** A listing filtered to the caller's own agents: `?owner=<subject>`. */
    list: (async (req, subject) => typeof req.query.owner === 'string' && same(req.query.owner, subject)) satisfies OwnerReach,
    /** `:owner` is the caller. */
    self: (async (req, subject) => same(String(req.params.owner), subject)) satisfies OwnerReach,
    /** `:id` is a revocation of one of the owner's agents. */
    revocation: (async (req, subject) => {
      try {
        const revocation = await lanyard.getRevocation(String(req.params.id))
        return ownsAgent(revocation.scope.handle, subject)
      } catch (error) {
        if (error instanceof RevocationNotFound) return false
        throw error
      }
    }) satisfies OwnerReach,
  }
}
