import { createTestAgent, uniqueHandle, type TestAgent } from './agent.js'
import type { BrokerClient } from './broker.js'

/** A root agent with a delegable `mem` binding of `ceiling`, and its handle token. */
export async function delegatingParent(t: BrokerClient, ceiling: string[] = ['read'], prefix = 'parent'): Promise<{ agent: TestAgent; token: string }> {
  const agent = await createTestAgent(t, { handle: uniqueHandle(prefix), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling, delegable: true } as never] })
  return { agent, token: await agent.token() }
}

/** POST /v1/agents/{parent}/children with `bearer` (the parent's handle token, or the admin's). */
export function spawn(t: BrokerClient, parent: string, body: Record<string, unknown>, bearer: string) {
  return t.admin('POST', `/v1/agents/${parent}/children`, body, bearer)
}

/** The handle a child named `name` of `parent` gets. */
export function childHandle(parent: string, name: string): string {
  return `${name}.${parent}`
}
