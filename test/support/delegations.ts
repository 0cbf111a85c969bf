import { createTestAgent, jwtType, tokenExchange, uniqueHandle, type TestAgent } from './agent.js'
import type { BrokerClient } from './broker.js'

/** A subject bound to `mem` (read), and an actor with no binding of its own. */
export async function subjectAndActor(t: BrokerClient): Promise<{ subject: TestAgent; actor: TestAgent }> {
  const subject = await createTestAgent(t, { handle: uniqueHandle('subject'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  const actor = await createTestAgent(t, { handle: uniqueHandle('actor') })
  return { subject, actor }
}

/** Lets `actor` act for `subject` on mem (read) for an hour. */
export async function delegate(t: BrokerClient, subject: string, actor: string): Promise<void> {
  const set = await t.admin('POST', `/v1/agents/${subject}/delegations`, { actor, systems: ['mem'], scopes: ['read'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() })
  if (set.status !== 201) throw new Error(`delegate: ${set.status} ${JSON.stringify(set.body)}`)
}

/** A token exchange on mem with `subjectToken` and `actorToken`. */
export function exchangeWithActor(t: BrokerClient, subjectToken: string, actorToken: string) {
  return t.form('/oauth/token', { grant_type: tokenExchange, subject_token: subjectToken, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', actor_token: actorToken, actor_token_type: jwtType })
}
