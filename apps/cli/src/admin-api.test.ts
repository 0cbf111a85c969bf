import { describe, expect, it } from 'vitest'
import { describeFailure } from './admin-api.js'

describe('describeFailure', () => {
  it('makes one line of problem details: detail, validation messages, code and status', () => {
    expect(describeFailure(404, { type: 'https://lanyard.dev/errors/agent-not-found', title: 'Agent not found', status: 404, detail: 'agent "x@y.dev" not found', code: 'ERR_AGENT_NOT_FOUND' })).toBe(
      'agent "x@y.dev" not found (ERR_AGENT_NOT_FOUND, HTTP 404)',
    )
    expect(describeFailure(400, { title: 'Request invalid', code: 'ERR_REQUEST_INVALID', errors: ['body.owner: required', 'body.tier: too big'] })).toBe(
      'Request invalid: body.owner: required; body.tier: too big (ERR_REQUEST_INVALID, HTTP 400)',
    )
  })

  it('makes one line of an OAuth error, and says only the status for an unknown body', () => {
    expect(describeFailure(400, { error: 'invalid_scope', error_description: 'scope "admin" exceeds the binding ceiling' })).toBe('invalid_scope: scope "admin" exceeds the binding ceiling (HTTP 400)')
    expect(describeFailure(401, undefined)).toBe('the broker refused the admin token (HTTP 401)')
    expect(describeFailure(502, { echoed: 'Bearer secret' })).toBe('the broker answered HTTP 502')
  })
})
