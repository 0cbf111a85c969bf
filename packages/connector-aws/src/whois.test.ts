import { describe, expect, it } from 'vitest'
import { awsName } from './whois.js'

describe('awsName', () => {
  it('keeps a handle AWS can carry as is', () => {
    expect(awsName('deploy-bot@agents.acme.dev')).toBe('deploy-bot@agents.acme.dev')
  })

  it('maps a handle outside [\\w+=,.@-] or over 64 characters to a distinct name within the rules', () => {
    const long = `${'a'.repeat(60)}@agents.acme.dev`
    const odd = 'déploy bot@agents.acme.dev'
    for (const handle of [long, odd]) {
      const name = awsName(handle)
      expect(name).toMatch(/^[\w+=,.@-]{2,64}$/)
      expect(name).toMatch(/-[0-9a-f]{8}$/)
    }
    expect(awsName(`${'a'.repeat(60)}@agents.acme.dev`)).not.toBe(awsName(`${'a'.repeat(60)}@agents.acme.org`))
    expect(awsName('a!b@x.dev')).not.toBe(awsName('a#b@x.dev'))
  })
})
