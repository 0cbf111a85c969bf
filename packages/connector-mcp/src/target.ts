import { BindingInvalid } from '@lanyard/connector-sdk'
import { z } from 'zod'
import type { McpConfig } from './config.js'

/**
 * What a binding points at: the system's one resource, so nothing to choose. A binding may
 * still name the resource URL, pinning it: a system later pointed elsewhere then refuses to
 * issue under that binding instead of minting tokens for a server nobody bound to.
 */
export const mcpTarget = z.object({ resource: z.url().optional() }).strict()

export type McpTarget = z.output<typeof mcpTarget>

/** BindingInvalid unless the target names this system's resource (or none). */
export function checkTarget(config: McpConfig, target: McpTarget): McpTarget {
  if (target.resource !== undefined && target.resource !== config.resource) {
    throw new BindingInvalid(`the binding names resource ${target.resource}, but this system serves ${config.resource}`)
  }
  return target
}
