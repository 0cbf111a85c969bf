import { defineScopes, narrowScopes } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'
import { scopeToken } from './config.js'

/** Any well-formed scope token is a scope an MCP server may declare; a system's `scopes` narrows that. */
export const mcpScopes = defineScopes(scopeToken, ['tickets:read', 'tickets:write'])

/** The SDK's rule, with the system's own scope list as the catalogue. */
export function narrowMcp(ceiling: ScopeSet, requested: ScopeSet, known: readonly string[]): ScopeSet {
  return narrowScopes(ceiling, requested, { catalogue: defineScopes((scope) => known.includes(scope), known) })
}

