import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, base64url, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestHost } from '@lanyard/connector-sdk/testing'
import { mcpConfig } from '../src/config.js'
import { mcpConnector } from '../src/index.js'
import type { McpRef } from '../src/index.js'
import { startBrokerStandIn, startProtectedServer } from './fixture.js'
import type { BrokerStandIn, ProtectedServer } from './fixture.js'

/**
 * A token the exchange bound to a DPoP key: issued as `DPoP` with `cnf.jkt`, and probed without
 * a proof (the broker holds no agent key). A live bound token must read alive, never dead,
 * though the server refuses the proofless request: only a refusal of the token itself is dead.
 */
let broker: BrokerStandIn
let server: ProtectedServer
beforeAll(async () => {
  broker = await startBrokerStandIn()
  server = await startProtectedServer(broker, ['tickets:read'])
})
afterAll(async () => {
  await server.close()
  await broker.close()
})

it('a bound token is DPoP with cnf.jkt; the probe reads it alive until revoked, then dead; revoke says revoked', async () => {
  const instance = mcpConnector.create(
    mcpConfig.parse({ resource: server.resource, scopes: ['tickets:read'], tokenTtlSeconds: 300, allowInsecureUpstreamHttp: true }),
    createTestHost({ signer: broker.signer, system: 'tickets-mcp', allowInsecureUpstreamHttp: true }),
  )
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const jkt = await calculateJwkThumbprint(jwk)
  const grantId = randomUUID()
  const issued = await instance.issue({ grantId, agent: { handle: 'bot@agents.test', owner: 'o@acme.test', tier: 0 }, target: {}, scopes: ['tickets:read'], maxTtlSeconds: 300, jkt }, AbortSignal.timeout(5_000))
  expect(issued.credential.tokenType).toBe('DPoP')
  expect(decodeJwt(issued.credential.accessToken).cnf).toEqual({ jkt })
  expect((issued.ref as McpRef).jkt).toBe(jkt)

  // The holder of the key gets through; the same token as a Bearer does not.
  const token = issued.credential.accessToken
  const proof = await new SignJWT({ htm: 'POST', htu: server.resource, ath: base64url.encode(createHash('sha256').update(token).digest()) }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt().setJti(randomUUID()).sign(privateKey)
  const held = await fetch(server.resource, { method: 'POST', headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' })
  expect(held.status).toBe(200)
  expect(await server.status(token)).toBe(401)

  const request = { grantId, handle: 'bot@agents.test', ref: issued.ref, issuedAt: new Date(), expiresAt: issued.expiresAt, secret: issued.revocationSecret! }
  expect(await instance.probe!(request, AbortSignal.timeout(5_000))).toBe('alive')
  expect(await instance.revoke(request, AbortSignal.timeout(5_000))).toEqual({ kind: 'revoked' })
  expect(await instance.probe!(request, AbortSignal.timeout(5_000))).toBe('dead')
})
