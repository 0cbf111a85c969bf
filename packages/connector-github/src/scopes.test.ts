import { describe, expect, it } from 'vitest'
import { githubScopes, narrowGitHubScopes, toTokenRequest } from './scopes.js'

const ceiling = ['contents:write', 'pull_requests:write', 'issues:read', 'repo:api', 'repo:docs']

describe('GitHub scope catalogue', () => {
  it.each(['contents:read', 'contents:write', 'repository_projects:admin', 'workflows:write', 'organization_plan:read', 'repo:api', 'repo:my.repo_2-x', 'repo:*'])('knows %s', (item) => {
    expect(githubScopes.isKnown(item)).toBe(true)
  })

  it.each(['contents:admin', 'workflows:read', 'gists:read', 'contents', 'repo:', 'repo:acme/api', 'repo:..', 'Contents:read', 'repo:a b'])('does not know %s', (item) => {
    expect(githubScopes.isKnown(item)).toBe(false)
  })
})

describe('narrowGitHubScopes', () => {
  it('a higher level covers a lower one, never the reverse', () => {
    expect(narrowGitHubScopes(ceiling, ['contents:read', 'repo:api'])).toEqual(['contents:read', 'repo:api'])
    expect(() => narrowGitHubScopes(ceiling, ['issues:write', 'repo:api'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_WIDENING', scope: 'issues:write' }))
  })

  it('names the offending repository and unknown items', () => {
    expect(() => narrowGitHubScopes(ceiling, ['contents:read', 'repo:web'])).toThrow(/scope "repo:web" exceeds the binding ceiling/)
    expect(() => narrowGitHubScopes(ceiling, ['contents:read', 'repo:acme/api'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_UNKNOWN', scope: 'repo:acme/api' }))
  })

  it('compares repository names without case, as GitHub does', () => {
    expect(narrowGitHubScopes(ceiling, ['contents:read', 'repo:API'])).toEqual(['contents:read', 'repo:API'])
  })

  it('repo:* covers any repository; a named repository never covers repo:*', () => {
    expect(narrowGitHubScopes(['contents:read', 'repo:*'], ['contents:read', 'repo:anything'])).toEqual(['contents:read', 'repo:anything'])
    expect(() => narrowGitHubScopes(ceiling, ['contents:read', 'repo:*'])).toThrow(expect.objectContaining({ scope: 'repo:*' }))
  })

  it('fills a dimension the request leaves open from the ceiling, never leaving it open', () => {
    expect(narrowGitHubScopes(ceiling, ['contents:read'])).toEqual(['contents:read', 'repo:api', 'repo:docs'])
    expect(narrowGitHubScopes(ceiling, ['repo:docs'])).toEqual(['repo:docs', 'contents:write', 'pull_requests:write', 'issues:read'])
    expect(narrowGitHubScopes(ceiling, [])).toEqual([])
  })
})

describe('toTokenRequest', () => {
  it('turns scopes into GitHub permissions and repository names, the highest level winning', () => {
    expect(toTokenRequest(['contents:read', 'contents:write', 'issues:read', 'repo:web', 'repo:api', 'repo:API'])).toEqual({
      permissions: { contents: 'write', issues: 'read' },
      repositories: ['api', 'web'],
    })
  })

  it('repo:* asks for every repository of the installation', () => {
    expect(toTokenRequest(['contents:read', 'repo:*', 'repo:api'])).toEqual({ permissions: { contents: 'read' }, repositories: undefined })
  })

  it('refuses to leave a dimension open', () => {
    expect(toTokenRequest(['contents:read'])).toBeUndefined()
    expect(toTokenRequest(['repo:api'])).toBeUndefined()
    expect(toTokenRequest([])).toBeUndefined()
  })
})
