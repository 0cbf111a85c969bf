import { createContext, useContext } from 'react'
import type { Me, Role } from './api/wire.js'

/** Who is signed in (GET /v1/me). */
export const SessionContext = createContext<Me | undefined>(undefined)

export function useMe(): Me {
  const me = useContext(SessionContext)
  if (me === undefined) throw new Error('no session')
  return me
}

/**
 * Whether the signed-in roles may do `action`: the role matrix of #18 (the broker enforces it;
 * the console only hides what would be refused). `admin` may do everything.
 */
export function can(me: Me, action: 'revoke' | 'approve' | 'manage'): boolean {
  const has = (role: Role) => me.roles.includes(role)
  if (has('admin')) return true
  if (action === 'manage') return false
  return has('responder') || (action === 'revoke' && has('owner'))
}
