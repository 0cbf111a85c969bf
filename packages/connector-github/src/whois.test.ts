import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { githubScopes } from './scopes.js'
import { hashedToken, whoisIndex } from './whois.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('hashed_token', () => {
  it('is base64(SHA-256(token)), as in the README example (GitHub documentation sample token)', () => {
    const example = /--github-hashed-token '([^']+)'/.exec(readme)?.[1]
    expect(hashedToken('ghs_16C7e42F292c6912E7710c838347Ae178B4a')).toBe(example)
    expect(whoisIndex('ghs_16C7e42F292c6912E7710c838347Ae178B4a')).toEqual({ github_hashed_token: example })
  })
})

describe('README scope table', () => {
  it('lists as known only items the catalogue knows, and as unknown only items it refuses', () => {
    const row = (start: string) => readme.split('\n').find((line) => line.startsWith(`| \`${start}`)) ?? ''
    const [known = '', unknown = ''] = row('PERMISSION:LEVEL').split('A name or level GitHub does not define')
    for (const [, item = ''] of known.matchAll(/`([a-z_]+:(?:read|write|admin))`/g)) expect(githubScopes.isKnown(item), item).toBe(true)
    const refused = [...unknown.matchAll(/`([a-z_]+:[a-z]+)`/g)].map((m) => m[1] ?? '')
    expect(refused.length).toBeGreaterThan(0)
    for (const item of refused) expect(githubScopes.isKnown(item), item).toBe(false)
    expect(githubScopes.isKnown('repo:acme/api')).toBe(false)
  })
})
