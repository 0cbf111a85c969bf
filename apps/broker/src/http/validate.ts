import { RequestInvalid } from '@lanyard/core'
import type { z } from 'zod'

/** Parses a body or query with a closed schema; every issue names its field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  throw new RequestInvalid(result.error.issues.map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`))
}
