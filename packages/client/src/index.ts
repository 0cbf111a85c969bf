/**
 * @module @lanyard/client
 *
 * The agent SDK: prove the handle with a private key or a platform token (RFC 7523), bind the
 * handle token to an in-memory key (DPoP, RFC 9449), exchange the handle token for
 * a system's credential (RFC 8693), cache and refresh both before they expire, and surface the
 * broker's refusals as typed errors. Imports nothing of the project but its own wire types;
 * jose signs. For agents and tools outside the broker (the `lanyard` CLI uses it). `mcpFetch`
 * signs the agent in to MCP servers protected by Lanyard, for `@modelcontextprotocol/sdk`'s
 * client transports.
 */
export { createAgentClient } from './agent-client.js'
export { githubActionsToken } from './github-actions.js'
export type { GitHubActionsTokenOptions } from './github-actions.js'
export { mcpFetch } from './mcp-fetch.js'
export type { SpawnChildRequest, SpawnedChild } from './children.js'
export type { McpFetchOptions } from './mcp-fetch.js'
export type { AgentClient, AgentClientOptions, FederatedTokenSource, AwsCredentialIdentity, AwsCredentialProvider, ExchangeRequest, ExchangedCredential, WaitForApprovalOptions } from './agent-client.js'
export { ApprovalRequired, BrokerUnreachable, InvalidGrant, InvalidScope, InvalidTarget, LanyardClientError, TemporarilyUnavailable } from './errors.js'
export type { ClientErrorCode } from './errors.js'
export type { AwsCredentialsMember, HandleTokenResponse, OAuthErrorResponse, TokenExchangeResponse } from './wire.js'
export { verifyAgentStatement, StatementUnverifiable, agentCardRel, agentStatusRel, agentCardType, statementType } from './statement.js'
export type { AgentCard, StatementVerdict, StatementVerification, StatementUnverifiableReason, VerifyStatementOptions } from './statement.js'
