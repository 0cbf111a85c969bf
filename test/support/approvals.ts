import { exportJWK } from 'jose'
import { createAgentClient, type AgentClient } from '@lanyard/client'
import { createTestAgent, type TestAgent } from './agent.js'
import type { TestBroker } from './broker.js'
import { memorySystem } from './memory.js'

/** A `mem` system whose binding asks a person before `write`: the approvals suites' world. */
export function approvalWorld() {
  const mem = memorySystem('mem')
  const binding = {
    system: 'mem',
    target: { account: 'acme' },
    ceiling: ['read', 'write'],
    approval: { scopes: ['write'], approvers: ['owner', 'alice@acme.dev'], ttl_seconds: 600 },
  }
  return {
    mem,
    // The test's webhook receiver listens on loopback: a sandbox deployment.
    config: { sandbox: true, systems: [mem.system], approvals: { pollIntervalSeconds: 1 } },
    binding,
    agent: (t: TestBroker) => createTestAgent(t, { bindings: [binding] }),
  }
}

/** The SDK client of a test agent. */
export async function sdkOf(t: TestBroker, agent: TestAgent): Promise<AgentClient> {
  return createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: { ...(await exportJWK(agent.privateKey)), alg: 'EdDSA' } })
}

/** Exchange form with an approval id (and optional reason), as an agent would post it. */
export async function exchangeWith(t: TestBroker, agent: TestAgent, params: { scope: string; approval_id?: string; reason?: string }) {
  return t.form('/oauth/token', {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: await agent.token(),
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    resource: 'urn:lanyard:system:mem',
    ...params,
  })
}

/** Asks for `read write`, gets approval_required, and returns the approval id. */
export async function askApproval(t: TestBroker, agent: TestAgent, reason = 'release 4.2'): Promise<string> {
  const refused = await exchangeWith(t, agent, { scope: 'read write', reason })
  if (refused.status !== 400 || refused.body.error !== 'approval_required') throw new Error(`expected approval_required: ${refused.status} ${JSON.stringify(refused.body)}`)
  return refused.body.approval_id as string
}
