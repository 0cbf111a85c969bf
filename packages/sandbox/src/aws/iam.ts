import { decideSessionAccess } from './access.js'
import { AwsSandboxError, accessDenied, noSuchEntity } from './errors.js'
import { type AwsState, type Caller, type Role, awsTime, callerArn, changeInlinePolicy } from './model.js'
import { parsePolicy } from './policy.js'
import { checkString, required } from './rules.js'
import type { XmlObject } from './xml.js'

/** IAM: the inline role policy actions (and GetRole), with IAM's authorization and size rules. */

/**
 * IAM caps the inline policies of one role at 10,240 characters in total, white space not
 * counted; PutRolePolicy beyond that fails with LimitExceeded.
 */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240

const NAME = { min: 1, max: 128, pattern: /^[\w+=,.@-]+$/, patternText: '[\\w+=,.@-]+' }

export function putRolePolicy(state: AwsState, caller: Caller, params: URLSearchParams): XmlObject {
  const role = authorizedRole(state, caller, params, 'iam:PutRolePolicy')
  const name = checkString(required(params, 'PolicyName'), 'policyName', NAME)
  const text = required(params, 'PolicyDocument')
  checkString(text, 'policyDocument', { min: 1, max: 131_072, pattern: /^[\s\S]+$/ })
  const policy = parsePolicy(text, 'identity')
  let total = policy.size
  for (const [other, existing] of role.inlinePolicies) if (other !== name) total += existing.size
  if (total > ROLE_INLINE_POLICY_MAX_CHARS) {
    throw new AwsSandboxError('LimitExceeded', 409, `Maximum policy size of ${ROLE_INLINE_POLICY_MAX_CHARS} bytes exceeded for role ${role.name}`)
  }
  changeInlinePolicy(state, role, name, policy)
  return {}
}

export function getRolePolicy(state: AwsState, caller: Caller, params: URLSearchParams): XmlObject {
  const role = authorizedRole(state, caller, params, 'iam:GetRolePolicy')
  const name = required(params, 'PolicyName')
  const policy = role.inlinePolicies.get(name)
  if (!policy) throw noSuchEntity(`The role policy with name ${name} cannot be found.`)
  // IAM returns policy documents URL-encoded (RFC 3986); the SDK hands them over as they come.
  return { RoleName: role.name, PolicyName: name, PolicyDocument: encodeURIComponent(policy.text) }
}

export function deleteRolePolicy(state: AwsState, caller: Caller, params: URLSearchParams): XmlObject {
  const role = authorizedRole(state, caller, params, 'iam:DeleteRolePolicy')
  const name = required(params, 'PolicyName')
  if (!role.inlinePolicies.has(name)) throw noSuchEntity(`The role policy with name ${name} cannot be found.`)
  changeInlinePolicy(state, role, name, undefined)
  return {}
}

export function listRolePolicies(state: AwsState, caller: Caller, params: URLSearchParams): XmlObject {
  const role = authorizedRole(state, caller, params, 'iam:ListRolePolicies')
  const names = [...role.inlinePolicies.keys()].sort()
  const start = params.has('Marker') ? Number(params.get('Marker')) : 0
  const maxItems = params.has('MaxItems') ? Number(params.get('MaxItems')) : 100
  const page = names.slice(start, start + maxItems)
  const truncated = start + maxItems < names.length
  return { PolicyNames: { member: page }, IsTruncated: truncated, Marker: truncated ? String(start + maxItems) : undefined }
}

export function getRole(state: AwsState, caller: Caller, params: URLSearchParams): XmlObject {
  const role = authorizedRole(state, caller, params, 'iam:GetRole')
  return {
    Role: {
      Path: '/',
      RoleName: role.name,
      RoleId: role.roleId,
      Arn: role.arn,
      CreateDate: awsTime(role.createdAt),
      AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy.text),
      MaxSessionDuration: role.maxSessionDurationSeconds,
    },
  }
}

/**
 * Long-term keys call IAM when added with `iam: true`; session credentials when their role's
 * permissions and session policy allow the action on the role (and no deny stops it), as AWS
 * decides for any other action.
 */
function authorizedRole(state: AwsState, caller: Caller, params: URLSearchParams, action: string): Role {
  const roleName = required(params, 'RoleName')
  const resource = `arn:aws:iam::${state.accountId}:role/${roleName}`
  const decision = caller.kind === 'user' ? (caller.key.iam ? 'allowed' : 'implicitDeny') : decideSessionAccess(state, caller.session, action, resource)
  if (decision !== 'allowed') {
    // AWS's documented AccessDenied formats name the policy type and whether a deny matched.
    const why = decision === 'explicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`
    throw accessDenied(`User: ${callerArn(caller, state.accountId)} is not authorized to perform: ${action} on resource: role ${roleName} ${why}`)
  }
  const role = state.roles.get(roleName)
  if (!role || role.arn !== resource) throw noSuchEntity(`The role with name ${roleName} cannot be found.`)
  return role
}
