import { createHash } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { BindingInvalid, LanyardError, ScopeUnknown, UpstreamRefused, UpstreamUnavailable } from '@lanyard/core'
import type { RevokeOutcome, RevokeRequest } from '@lanyard/core'
import { z } from 'zod'
import { defineConnector, sdkVersion } from '../define-connector.js'
import { narrowScopes } from '../scopes.js'
import { MemoryUpstreamDown, memoryUpstreamNamed } from './memory-upstream.js'
import type { MemoryTokenStatus, MemoryUpstream } from './memory-upstream.js'
import { memoryCovers, memoryScopes } from './scopes.js'

const memoryConfig = z
  .object({
    /** Name of the in-process upstream (see createMemoryUpstream); created on first use. */
    upstream: z.string().min(1).default('default'),
    /** Lifetime of each credential; the broker's maxTtlSeconds caps it. */
    ttlSeconds: z.number().int().positive().max(86_400).default(900),
    /** Simulated round trip per upstream call, for benchmarks. Honours the AbortSignal. */
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    /**
     * `ref`: revoke by token id (AWS, OAuth admin APIs). `secret`: the upstream revokes only
     * when shown the token (GitHub, RFC 7009), so the broker keeps it sealed as revocationSecret.
     */
    revokeWith: z.enum(['ref', 'secret']).default('ref'),
  })
  .strict()

const memoryTarget = z.object({ account: z.string().min(1) }).strict()

const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * The test connector (type `memory`): a complete connector against an in-process upstream, used
 * by the broker's tests, the demo and the benchmarks, and the worked example in
 * docs/connectors.md. It follows every rule a real connector follows.
 */
export const memoryConnector = defineConnector({
  type: 'memory',
  sdk: `^${sdkVersion}`,
  config: memoryConfig,
  target: memoryTarget,
  scopes: memoryScopes,
  whoisKeys: ['memory_token_sha256'],
  create(config, host) {
    const upstream = (): MemoryUpstream => memoryUpstreamNamed(config.upstream, host.clock)

    // One translation switch: whatever the upstream throws becomes a catalogue error.
    async function call<T>(signal: AbortSignal, action: (upstream: MemoryUpstream) => T): Promise<T> {
      signal.throwIfAborted()
      if (config.latencyMs > 0) await delay(config.latencyMs, undefined, { signal })
      try {
        return action(upstream())
      } catch (error) {
        if (error instanceof LanyardError) throw error
        if (error instanceof MemoryUpstreamDown) throw new UpstreamUnavailable(host.system, { cause: error })
        throw new UpstreamRefused(host.system, 'the upstream failed', { cause: error, detail: error instanceof Error ? error.name : typeof error })
      }
    }

    const tokenId = (request: RevokeRequest): string | undefined => (typeof request.ref['tokenId'] === 'string' ? request.ref['tokenId'] : undefined)

    /** What a revoke-by-whatever answer means for the grant. */
    function outcomeOf(status: MemoryTokenStatus, request: RevokeRequest): RevokeOutcome {
      switch (status) {
        // (1) it was live and now is not; (2) it had already been revoked: idempotent.
        case 'revoked':
          return { kind: 'revoked' }
        case 'expired':
          return { kind: 'expired' }
        // (3) the upstream does not know it: nothing live there either way.
        case 'unknown':
        case 'alive':
          return request.expiresAt.getTime() <= host.clock.now().getTime() ? { kind: 'expired' } : { kind: 'revoked' }
      }
    }

    return {
      narrow(ceiling, requested) {
        return narrowScopes(ceiling, requested, { catalogue: memoryScopes, covers: memoryCovers })
      },

      async validateBinding(target, ceiling, signal) {
        for (const item of ceiling) if (!memoryScopes.isKnown(item)) throw new ScopeUnknown(item)
        const exists = await call(signal, (u) => u.hasAccount(target.account))
        if (!exists) throw new BindingInvalid(`account "${target.account}" does not exist upstream`)
        return target
      },

      async issue(request, signal) {
        const ttlSeconds = Math.min(config.ttlSeconds, request.maxTtlSeconds)
        const minted = await call(signal, (u) => {
          if (!u.hasAccount(request.target.account)) throw new UpstreamRefused(host.system, `account "${request.target.account}" does not exist`)
          return u.mint({ account: request.target.account, subject: request.agent.handle, scopes: request.scopes, ttlSeconds })
        })
        host.log.debug({ grantId: request.grantId, tokenId: minted.id }, 'memory token minted')
        const bySecret = config.revokeWith === 'secret'
        return {
          credential: { accessToken: minted.token, tokenType: 'Bearer', issuedTokenType: accessTokenType },
          ref: bySecret ? { account: request.target.account } : { account: request.target.account, tokenId: minted.id },
          expiresAt: minted.expiresAt,
          index: { memory_token_sha256: sha256(minted.token) },
          ...(bySecret ? { revocationSecret: minted.token } : {}),
        }
      },

      async revoke(request, signal) {
        const id = tokenId(request)
        if (config.revokeWith === 'secret' && request.secret !== undefined) {
          const shown = request.secret
          return outcomeOf(await call(signal, (u) => u.revokeByToken(shown)), request)
        }
        if (id !== undefined) return outcomeOf(await call(signal, (u) => u.revokeById(id)), request)
        // Neither the token nor its id: this upstream cannot be asked; it lives until it expires.
        signal.throwIfAborted()
        if (request.expiresAt.getTime() <= host.clock.now().getTime()) return { kind: 'expired' }
        return { kind: 'unrevocable-until', until: request.expiresAt }
      },

      async probe(request, signal) {
        const id = tokenId(request)
        const shown = request.secret
        const status = await call(signal, (u) => (id !== undefined ? u.status(id) : shown !== undefined ? statusOfToken(u, shown) : 'unknown'))
        return status === 'alive' ? 'alive' : status === 'unknown' ? 'unknown' : 'dead'
      },

      async health(signal) {
        try {
          await call(signal, (u) => u.hasAccount('default'))
          return { ok: true }
        } catch (error) {
          if (error instanceof UpstreamUnavailable) return { ok: false, detail: `upstream "${config.upstream}" is unavailable` }
          throw error
        }
      },
    }
  },
})

function statusOfToken(upstream: MemoryUpstream, token: string): MemoryTokenStatus {
  const answer = upstream.introspect(token)
  return answer.active ? 'alive' : answer.reason
}

