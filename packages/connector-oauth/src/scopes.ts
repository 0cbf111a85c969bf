import { defineScopes, narrowScopes } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'

/** Ceiling and request items naming an RFC 8707 resource indicator (an audience), not a scope. */
export const resourcePrefix = 'resource:'

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function isResourceItem(item: string): boolean {
  if (!item.startsWith(resourcePrefix)) return false
  const uri = item.slice(resourcePrefix.length)
  // RFC 8707 2: an absolute URI without a fragment.
  return URL.canParse(uri) && !uri.includes('#') && scopeToken.test(uri)
}

/**
 * OAuth scopes are the server's own names, so any well-formed scope token is known here; a
 * system's `scopes` list narrows that further. `resource:<absolute URI>` items are audiences.
 */
export const oauthScopes = defineScopes(
  (item) => (item.startsWith(resourcePrefix) ? isResourceItem(item) : scopeToken.test(item)),
  ['read', 'api:write', 'resource:https://api.example.com/'],
)

/** A request narrowed by the SDK's rule, with the system's own scope list applied when it has one. */
export function narrowOAuth(ceiling: ScopeSet, requested: ScopeSet, known: readonly string[] | undefined): ScopeSet {
  const catalogue = known
    ? defineScopes((item) => oauthScopes.isKnown(item) && (item.startsWith(resourcePrefix) || known.includes(item)), oauthScopes.examples)
    : oauthScopes
  return narrowScopes(ceiling, requested, { catalogue })
}

/** Splits narrowed items into the token request's `scope` names and resource indicators. */
export function splitItems(items: ScopeSet): { scopes: string[]; resources: string[] } {
  const scopes: string[] = []
  const resources: string[] = []
  for (const item of items) {
    if (item.startsWith(resourcePrefix)) resources.push(item.slice(resourcePrefix.length))
    else scopes.push(item)
  }
  return { scopes, resources }
}
