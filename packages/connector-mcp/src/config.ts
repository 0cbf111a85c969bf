import { secret } from '@lanyard/connector-sdk'
import { z } from 'zod'

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
export const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

/**
 * Fields of a `type: mcp` system in lanyard.yaml (under systems[], minus `name` and `type`):
 * one MCP server, protected by @lanyard/mcp, as an RFC 8707 resource.
 */
export const mcpConfig = z
  .object({
    /** The MCP server's URL, as MCP clients name it: the `aud` of every token, and what an exchange may send as `resource`. */
    resource: httpUrl.refine((value) => !value.includes('#'), { message: 'an RFC 8707 resource indicator has no fragment' }),
    /** Every scope the server's tools declare; a binding's ceiling is a subset. */
    scopes: z.array(z.string().regex(scopeToken, 'expected an RFC 6749 scope token')).min(1),
    /** Lifetime of each access token (RFC 9068 `exp` - `iat`), within the broker's cap. */
    tokenTtlSeconds: z.number().int().min(30).max(3600).default(300),
    /**
     * Where revoke proves the server refuses a revoked token (any URL behind @lanyard/mcp: 401
     * = refused). Default: `resource`. Without a refusal, revoke reports unrevocable-until exp.
     */
    probeUrl: httpUrl.optional(),
    /** How long revoke keeps probing while the server applies the revocation event. */
    settleMs: z.number().int().min(0).max(30_000).default(2_000),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /**
     * The bearer the MCP server presents to the broker (its `brokerCredential`): it may hold the
     * revocation event stream and introspect tokens for this resource, nothing else. Without
     * it, the server needs the admin bearer.
     */
    resourceServerToken: secret().optional(),
    /** Plain-http resource and probe URLs. For the sandbox only: the broker refuses it elsewhere. */
    allowInsecureUpstreamHttp: z.boolean().default(false),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (new Set(config.scopes).size !== config.scopes.length) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'a scope is listed twice' })
    if (config.allowInsecureUpstreamHttp) return
    for (const [field, url] of [['resource', config.resource], ['probeUrl', config.probeUrl]] as const) {
      if (url?.startsWith('http:')) ctx.addIssue({ code: 'custom', path: [field], message: 'plain http needs allowInsecureUpstreamHttp (sandbox only)' })
    }
  })

export type McpConfig = z.output<typeof mcpConfig>
