import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import type { ConnectorDefinition, ConnectorHost, ConnectorInstance, ExchangeCredential, IssueRequest, SecretValue } from './contract.js'
import { defineConnector } from './define-connector.js'
import { defineScopes } from './scopes.js'
import { secret } from './secret-ref.js'

const config = z.object({ baseUrl: z.url(), apiKey: secret(), retries: z.number().int().default(3) }).strict()
const target = z.object({ project: z.string() }).strict()
const scopes = defineScopes(/^(read|write)$/, ['read', 'write'])
/** Everything but `create`, for the cases that change one member. */
const toy = { type: 'toy', sdk: '^0.1.0', config, target, scopes }

type ToyTarget = { project: string }

/** A complete instance for a `{ project }` target; tests spread it and change one member. */
function toyInstance(): ConnectorInstance<ToyTarget> {
  return {
    narrow: (_ceiling, requested) => requested,
    validateBinding: async (t) => t,
    issue: async () => ({ credential: { accessToken: 't', tokenType: 'Bearer', issuedTokenType: 'urn:x' }, ref: {}, expiresAt: new Date() }),
    revoke: async () => ({ kind: 'revoked' }),
    health: async () => ({ ok: true }),
  }
}

describe('defineConnector', () => {
  test('infers Config and Target from the schemas (defaults applied, secrets as SecretValue)', () => {
    const connector = defineConnector({
      type: 'toy',
      sdk: '^0.1.0',
      config,
      target,
      scopes,
      create(parsed, host) {
        expectTypeOf(parsed).toEqualTypeOf<{ baseUrl: string; apiKey: SecretValue; retries: number }>()
        expectTypeOf(host).toEqualTypeOf<ConnectorHost>()
        return {
          ...toyInstance(),
          async validateBinding(bound, ceiling, signal) {
            expectTypeOf(bound).toEqualTypeOf<ToyTarget>()
            expectTypeOf(ceiling).toEqualTypeOf<readonly string[]>()
            expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
            return bound
          },
          async issue(request) {
            expectTypeOf(request).toEqualTypeOf<IssueRequest<ToyTarget>>()
            return { credential: { accessToken: 't', tokenType: 'Bearer', issuedTokenType: 'urn:x' }, ref: { id: request.grantId }, expiresAt: new Date() }
          },
        }
      },
    })
    expectTypeOf(connector).toExtend<ConnectorDefinition<{ baseUrl: string; apiKey: SecretValue; retries: number }, ToyTarget, ExchangeCredential>>()
    expectTypeOf(connector.create).parameter(0).toEqualTypeOf<{ baseUrl: string; apiKey: SecretValue; retries: number }>()
    expectTypeOf(connector.create).returns.toExtend<ConnectorInstance<ToyTarget>>()
  })

  test('infers a richer Credential from what issue returns', () => {
    type AwsLike = ExchangeCredential & { readonly extra: { readonly aws_credentials: { readonly AccessKeyId: string } } }
    const connector = defineConnector<z.output<typeof config>, ToyTarget, AwsLike>({
      type: 'toy',
      sdk: '^0.1.0',
      config,
      target,
      scopes,
      create: () => ({
        ...toyInstance(),
        issue: async () => ({ credential: { accessToken: 'a', tokenType: 'N_A', issuedTokenType: 'urn:x', extra: { aws_credentials: { AccessKeyId: 'AKIA' } } }, ref: {}, expiresAt: new Date() }),
      }),
    })
    expectTypeOf(connector.create).returns.toEqualTypeOf<ConnectorInstance<ToyTarget, AwsLike>>()
  })

  test('rejects unknown members, a missing revoke and a config that is not a Standard Schema', () => {
    defineConnector({
      ...toy,
      create: () => toyInstance(),
      // @ts-expect-error connectors get no routes, middleware or hooks (STYLE 11)
      routes: [],
    })

    defineConnector({
      ...toy,
      // @ts-expect-error revoke is required
      create: () => ({ narrow: toyInstance().narrow, validateBinding: toyInstance().validateBinding, issue: toyInstance().issue, health: toyInstance().health }),
    })

    defineConnector({
      ...toy,
      // @ts-expect-error config must be a Standard Schema (zod, valibot, ...), not a plain validator
      config: { parse: (value: unknown) => value },
      create: () => toyInstance(),
    })

    defineConnector({
      ...toy,
      create: () => ({
        ...toyInstance(),
        // @ts-expect-error a revoke outcome is revoked | expired | unrevocable-until, never a boolean
        revoke: async () => true,
      }),
    })
  })
})
