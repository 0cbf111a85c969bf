import { defineScopes } from '../scopes.js'

/** `read` < `write` < `admin`, plus `items:<name>` and `items:*` (every item). */
export const memoryScopes = defineScopes(/^(read|write|admin|items:(\*|[a-z0-9][a-z0-9._-]{0,63}))$/, ['read', 'write', 'admin', 'items:reports', 'items:*'])

const levels = ['read', 'write', 'admin']

/** Whether ceiling item `granted` covers requested item `wanted`: a level covers the levels below it; `items:*` covers every item. */
export function memoryCovers(granted: string, wanted: string): boolean {
  if (granted === wanted) return true
  const grantedLevel = levels.indexOf(granted)
  const wantedLevel = levels.indexOf(wanted)
  if (grantedLevel >= 0 && wantedLevel >= 0) return grantedLevel > wantedLevel
  return granted === 'items:*' && wanted.startsWith('items:')
}
