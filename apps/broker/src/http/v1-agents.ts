import { Router } from 'express'
import { z } from 'zod'
import { checkPresenceInput, RequestInvalid, RoleRequired, type Lanyard, type SystemEntry } from '@lanyard/core'
import { approvalPolicy } from './v1-approvals.js'
import { trustJson } from './v1-tiers.js'
import { parseInput } from './validate.js'
import { presenceFields, presenceInput, presenceJson } from './v1-presence.js'
import { agentCutJson, agentJson, auditJson, bindingJson, grantJson, keyJson, revocationJson } from './wire.js'
import { allow, allowOwner, callerOf, ownerReach, readers } from './access.js'

export const createAgentBody = z
  .object({
    handle: z.string(),
    owner: z.string(),
    tier: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
    labels: z.record(z.string().regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys: lower-case, digits, . _ / -'), z.string().max(256)).optional(),
    ...presenceFields,
  })
  .strict()
export const listQuery = z
  .object({
    owner: z.string().optional(),
    status: z.enum(['active', 'suspended', 'revoked']).optional(),
    after: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict()
export const keyBody = z.object({ jwk: z.record(z.string(), z.unknown()) }).strict()
export const bindingBody = z
  .object({
    system: z.string().min(1),
    target: z.unknown(),
    ceiling: z.array(z.string().min(1).max(512)).min(1).max(200),
    min_tier: z.number().int().min(0).max(3).optional(),
    /** #17: the agent may hand this binding, narrowed, to children it spawns. */
    delegable: z.boolean().optional(),
    /** #15: exchanges this names wait for a person's approval. */
    approval: z
      .object({
        scopes: z.union([z.literal('all'), z.array(z.string().min(1).max(512)).min(1).max(200)]),
        approvers: z.array(z.string().min(1).max(320)).min(1).max(50),
        ttl_seconds: z.number().int().min(60).max(604_800),
        below_tier: z.number().int().min(1).max(3).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
export const reasonBody = z.object({ reason: z.string().min(1).max(1000) }).strict()
export const grantRevokeBody = z.object({ reason: z.string().min(1).max(1000), incident: z.boolean().optional() }).strict()
export const suspendBody = z.object({ reason: z.string().min(1).max(1000), revoke_grants: z.boolean().optional() }).strict()
export const revokeQuery = z.object({ dry_run: z.enum(['0', '1', 'true', 'false']).optional() }).strict()
export const grantsQuery = z.object({ status: z.enum(['pending', 'live', 'failed', 'revoked', 'expired']).optional() }).strict()
export const rotateBody = z.object({ alg: z.enum(['EdDSA', 'RS256', 'ES256']).optional() }).strict()
export const auditQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    verify: z.enum(['0', '1', 'true', 'false']).optional(),
  })
  .strict()

/** /v1/agents/...: the admin API of agents, keys, bindings, grants, status and audit. */
export function v1AgentRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)

  router.post('/agents', allowOwner(own.newAgent), async (req, res) => {
    const { presence, display_name, description, escalation_contact, ...body } = parseInput(createAgentBody, req.body, 'body')
    // Tier 3 is an admin's word only (as POST /agents/{handle}/tier): an owner starts lower.
    if (body.tier === 3 && !callerOf(res.locals).roles.includes('admin')) throw new RoleRequired(['admin'], { why: 'only an admin creates an agent at tier 3' })
    // Presence is checked before the agent is created, and set right after (its own write): a
    // failure between the two leaves the agent private, the safe default.
    const profile = presenceInput({ presence, display_name, description, escalation_contact })
    const withPresence = Object.keys(profile).length > 0
    if (withPresence) checkPresenceInput(profile)
    const agent = await lanyard.createAgent(actor(res), body)
    const set = withPresence ? { presence: presenceJson(await lanyard.setPresence(actor(res), agent.handle, profile)) } : {}
    res.status(201).location(`/v1/agents/${encodeURIComponent(agent.handle)}`).json({ ...agentJson(agent), ...set })
  })
  router.get('/agents', allowOwner(own.list, ...readers), async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query')
    const limit = query.limit ?? 100
    const agents = await lanyard.listAgents({ ...query, limit: limit + 1 })
    const page = agents.slice(0, limit)
    res.json({ agents: page.map(agentJson), ...(agents.length > limit ? { next: page.at(-1)?.handle } : {}) })
  })
  router.get('/agents/:handle', allowOwner(own.agent, ...readers), async (req, res) => {
    const agent = await lanyard.getAgent(req.params.handle)
    const [keys, bindings, trust] = await Promise.all([lanyard.listKeys(agent.handle), lanyard.listBindings(agent.handle), lanyard.explainTier(agent.handle)])
    res.json({ ...agentJson(agent), keys: keys.map(keyJson), bindings: bindings.map(bindingJson), trust: trustJson(trust) })
  })
  router.post('/agents/:handle/keys', allowOwner(own.agent), async (req, res) => {
    const body = parseInput(keyBody, req.body, 'body')
    const key = await lanyard.addKey(actor(res), req.params.handle, body.jwk)
    res.status(201).json(keyJson(key))
  })
  router.post('/agents/:handle/bindings', allowOwner(own.agent), async (req, res) => {
    const body = parseInput(bindingBody, req.body, 'body')
    const { binding, replaced, revocation } = await lanyard.bind(actor(res), req.params.handle, { system: body.system, target: body.target, ceiling: body.ceiling, ...(body.min_tier === undefined ? {} : { minTier: body.min_tier }), ...(body.delegable === true ? { delegable: true } : {}), ...(body.approval === undefined ? {} : { approval: approvalPolicy(body.approval) }) })
    res.status(201).json({ ...bindingJson(binding), replaced, ...(revocation === undefined ? {} : { revocation: revocationJson(revocation) }) })
  })
  router.get('/agents/:handle/grants', allowOwner(own.agent, ...readers), async (req, res) => {
    const query = parseInput(grantsQuery, req.query, 'query')
    const grants = await lanyard.listGrants(req.params.handle, query.status)
    res.json({ grants: grants.map(grantJson) })
  })
  router.post('/agents/:handle/suspend', allowOwner(own.agent, 'responder'), async (req, res) => {
    const { reason, revoke_grants } = parseInput(suspendBody, req.body, 'body')
    if (revoke_grants !== true) {
      res.json(agentJson(await lanyard.suspend(actor(res), req.params.handle, reason)))
      return
    }
    const cut = await lanyard.suspendAndRevokeGrants(actor(res), req.params.handle, reason)
    res.status(202).location(`/v1/revocations/${cut.revocation.id}`).json(agentCutJson(cut))
  })
  router.post('/agents/:handle/resume', allow(), async (req, res) => {
    const { reason } = parseInput(reasonBody, req.body, 'body')
    res.json(agentJson(await lanyard.resume(actor(res), req.params.handle, reason)))
  })
  router.post('/agents/:handle/revoke', allowOwner(own.agent, 'responder'), async (req, res) => {
    const { dry_run } = parseInput(revokeQuery, req.query, 'query')
    if (dry_run === '1' || dry_run === 'true') {
      const plan = await lanyard.planRevocation(req.params.handle)
      res.json({
        dry_run: true,
        grants: plan.grants.map(({ grant, mechanism }) => ({ ...grantJson(grant), mechanism })),
        last_expiry_at: plan.lastExpiryAt?.toISOString() ?? null,
        // #17: the descendants the cut reaches, parents first, with what each holds.
        ...(plan.tree === undefined ? {} : { tree: plan.tree.map((t) => ({ handle: t.handle, status: t.status, grants: t.grants.map(({ grant, mechanism }) => ({ ...grantJson(grant), mechanism })) })) }),
      })
      return
    }
    const { reason } = parseInput(reasonBody, req.body, 'body')
    const cut = await lanyard.revoke(actor(res), req.params.handle, reason)
    res.status(202).location(`/v1/revocations/${cut.revocation.id}`).json(agentCutJson(cut))
  })
  router.post('/agents/:handle/grants/:id/revoke', allowOwner(own.agent, 'responder'), async (req, res) => {
    const { reason, incident } = parseInput(grantRevokeBody, req.body, 'body')
    const revocation = await lanyard.revokeGrant(actor(res), req.params.handle, req.params.id, reason)
    // #15: `incident: true` also counts it against the agent's trust tier.
    if (incident === true) await lanyard.recordIncident(actor(res), req.params.handle, { rule: 'grant-revoked', reason: `grant ${req.params.id} revoked: ${reason}` })
    res.status(202).location(`/v1/revocations/${revocation.id}`).json({ revocation: revocationJson(revocation) })
  })
  router.post('/agents/:handle/bindings/:system/revoke', allowOwner(own.agent, 'responder'), async (req, res) => {
    const { reason } = parseInput(reasonBody, req.body, 'body')
    const revocation = await lanyard.revokeBinding(actor(res), req.params.handle, req.params.system, reason)
    res.status(202).location(`/v1/revocations/${revocation.id}`).json({ revocation: revocationJson(revocation) })
  })
  router.post('/owners/:owner/revoke', allowOwner(own.self, 'responder'), async (req, res) => {
    const { reason } = parseInput(reasonBody, req.body, 'body')
    const results = await lanyard.revokeOwner(actor(res), req.params.owner, reason)
    res.status(202).json({ revocations: results.map(({ revocation, agent }) => ({ ...revocationJson(revocation), agent: agentJson(agent) })) })
  })
  router.get('/agents/:handle/audit', allowOwner(own.agent, ...readers), async (req, res) => {
    const query = parseInput(auditQuery, req.query, 'query')
    const events = await lanyard.readAudit(req.params.handle, { ...(query.after === undefined ? {} : { afterSeq: query.after }), ...(query.limit === undefined ? {} : { limit: query.limit }) })
    const verify = query.verify === '1' || query.verify === 'true'
    const verdict = verify ? await lanyard.verifyAudit(req.params.handle) : undefined
    res.json({
      events: events.map(auditJson),
      ...(verdict === undefined ? {} : { verification: verdict.ok ? { ok: true, length: verdict.length, head: verdict.head } : { ok: false, broken_at: verdict.brokenAt, reason: verdict.reason } }),
    })
  })
  return router
}

/** /v1/revocations, /v1/systems, /v1/whois. */
export function v1OtherRoutes(lanyard: Lanyard, systems: ReadonlyMap<string, SystemEntry>): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  router.get('/revocations/:id', allowOwner(own.revocation, ...readers), async (req, res) => {
    res.json(revocationJson(await lanyard.getRevocation(req.params.id)))
  })
  router.get('/revocations/:id/receipt', allowOwner(own.revocation, ...readers), async (req, res) => {
    const { token, body } = await lanyard.receipt(req.params.id)
    res.json({ receipt: token, full_dark_at: body.full_dark_at, summary: body.summary })
  })
  router.post('/signing-keys/rotate', allow(), async (req, res) => {
    const { alg } = parseInput(rotateBody, req.body, 'body')
    const key = await lanyard.keys.rotate(alg)
    res.status(201).json({ kid: key.kid, alg: key.alg })
  })
  router.get('/systems', allow(...readers, 'owner'), (_req, res) => {
    res.json({ systems: [...systems.values()].map((s) => ({ name: s.name, type: s.type, whois_keys: [...(s.definition.whoisKeys ?? []), 'grant_id'] })) })
  })
  router.get('/whois', allow(...readers), async (req, res) => {
    const entries = Object.entries(req.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    if (entries.length !== 1) {
      throw new RequestInvalid(['query: exactly one attribution key, e.g. ?github_hashed_token=... or ?grant_id=...'])
    }
    const [key, value] = entries[0]!
    const found = await lanyard.whois(key, value)
    res.json({
      matches: found.map(({ agent, grant }) => ({
        handle: agent.handle, owner: agent.owner, grant_id: grant.id, system: grant.system, scopes: grant.scopes, status: grant.status,
        created_at: grant.createdAt.toISOString(), expires_at: grant.expiresAt?.toISOString(),
        // #17: the act chain of a grant made by an actor, and a child's parent.
        ...(grant.index.act === undefined ? {} : { act: JSON.parse(grant.index.act) as unknown }), ...(agent.parent === undefined ? {} : { parent: agent.parent }),
      })),
    })
  })
  return router
}
