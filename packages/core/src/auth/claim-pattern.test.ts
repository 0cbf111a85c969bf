import { describe, expect, it } from 'vitest'
import { matchesPattern, patternProblem } from './claim-pattern.js'

describe('claim patterns', () => {
  it.each([
    ['repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main', true],
    ['repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/mainx', false],
    ['repo:acme/api:ref:refs/heads/main', 'REPO:acme/api:ref:refs/heads/main', false],
    ['repo:acme/*', 'repo:acme/api', true],
    ['repo:acme/*', 'repo:acme-evil/x', false],
    ['repo:acme/*', 'repo:acme/', false],
    ['repo:acme/*', 'repo:acme/api:ref:refs/heads/main', false],
    ['repo:acme/*', 'repo:acme/api/x', false],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main', true],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/a:b:ref:refs/heads/main', false],
    ['repo:acme/api:**', 'repo:acme/api:ref:refs/heads/main', true],
    ['repo:acme/api:**', 'repo:acme/apix:ref:refs/heads/main', false],
    ['acme/api/.github/workflows/deploy.yml@**', 'acme/api/.github/workflows/deploy.yml@refs/heads/main', true],
    ['acme/api/.github/workflows/deploy.yml@*', 'acme/api/.github/workflows/deploy.yml@refs/heads/main', false],
    ['acme/api/.github/workflows/deploy.yml@refs/heads/*', 'acme/api/.github/workflows/deployXyml@refs/heads/main', false],
    ['a.c', 'abc', false],
    ['a+', 'aa', false],
    ['(x)', '(x)', true],
    ['spiffe://acme.dev/ns/*/sa/api', 'spiffe://acme.dev/ns/prod/sa/api', true],
    ['spiffe://acme.dev/ns/*/sa/api', 'spiffe://acme.dev.evil/ns/prod/sa/api', false],
    ['prod', 'prod\n', false],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(matchesPattern(pattern, value)).toBe(expected)
  })

  it('never matches a value that is not a string', () => {
    expect(matchesPattern('1', 1)).toBe(false)
    expect(matchesPattern('*', ['a'])).toBe(false)
    expect(matchesPattern('x', undefined)).toBe(false)
  })

  it('refuses patterns that would match anything or are ambiguous', () => {
    expect(patternProblem('*')).toMatch(/wildcards only/)
    expect(patternProblem('**')).toMatch(/wildcards only/)
    expect(patternProblem('a***')).toMatch(/ambiguous/)
    expect(patternProblem('')).toMatch(/non-empty/)
    expect(patternProblem('x'.repeat(513))).toMatch(/longer/)
    expect(patternProblem('repo:acme/*')).toBeUndefined()
  })
})
