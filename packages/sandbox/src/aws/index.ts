/**
 * The AWS stand-in: STS (AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity) and IAM
 * (inline role policies, GetRole) on one loopback endpoint, speaking the query protocol the AWS
 * SDK speaks, checking SigV4 signatures, trust policies, session limits and policy sizes, plus a
 * signed access check that evaluates session policies and role denies. Imports nothing of the
 * project; exported from `@lanyard/sandbox`.
 */
export { AwsSandboxError } from './errors.js'
export type { Decision as AwsAccessDecision } from './policy.js'
export {
  type AwsCredentials,
  type AwsSandbox,
  type AwsSandboxOptions,
  type CreateRoleInput,
  type SessionInfo,
  startAwsSandbox,
} from './server.js'
export { ROLE_INLINE_POLICY_MAX_CHARS } from './iam.js'
export { type OidcIssuer, startOidcIssuer } from './issuer.js'
export { webIdentityTrustPolicy } from './oidc.js'
