import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { errorClasses, LanyardError } from './errors.js'

// Like fastify's "all errors are documented" test: classes and doc must agree; the HTTP
// mapping's `satisfies` clause makes a code without a mapping fail to compile.
const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
const documented = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1])

function instances(): LanyardError[] {
  return errorClasses.map((Class) => {
    const make = Class as unknown as new (...args: unknown[]) => LanyardError
    // Classes with an `issues` (or `requiredRoles`) list take an array first; the rest take strings.
    return ['ConfigInvalid', 'RequestInvalid', 'RoleRequired'].includes(Class.name) ? new make(['x']) : new make('x', 'y', 'z')
  })
}

describe('error catalogue', () => {
  it('gives every class a distinct ERR_ code', () => {
    const codes = instances().map((e) => e.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(code).toMatch(/^ERR_[A-Z]+(_[A-Z]+)*$/)
  })

  it('documents every code in docs/errors.md, and nothing else', () => {
    expect([...documented].sort()).toEqual(instances().map((e) => e.code).sort())
  })

  it('names classes after the condition, without an Error suffix', () => {
    for (const error of instances()) {
      expect(error.name).not.toMatch(/Error$/)
      expect(error).toBeInstanceOf(LanyardError)
    }
  })

  it('keeps detail out of the public message', () => {
    const error = new LanyardError('public', { detail: 'private' })
    expect(error.message).toBe('public')
    expect(error.detail).toBe('private')
    expect(JSON.stringify({ message: error.message })).not.toContain('private')
  })
})
