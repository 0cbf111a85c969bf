import { defineScopes, narrowScopes } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'
import { partitionPattern } from './config.js'

/**
 * AWS scope items, and how a set of them becomes a session policy.
 *
 * - An action: `<service>:<Action>` as IAM writes it, `*` allowed as a wildcard:
 *   `s3:GetObject`, `s3:Get*`, `ec2:Describe*`, `s3:*`. The action name starts with a capital
 *   or `*` (IAM's own spelling), so `contents:read` is not mistaken for one.
 * - A resource: `resource:<arn>` or `resource:*`, `*` allowed as a wildcard:
 *   `resource:arn:aws:s3:::reports/*`.
 *
 * `?` and policy variables (`${...}`) are not accepted: without them, whether a ceiling pattern
 * covers a requested one is a plain match of the request's text (a ceiling `*` may stand for a
 * request's `*`, a ceiling letter never does), which keeps `narrow` sound.
 */

const actionItem = /^[a-z0-9][a-z0-9-]*:[A-Z*][A-Za-z0-9*]*$/
const resourceItem = new RegExp(`^resource:(\\*|arn:(${partitionPattern.slice(1, -1)}|\\*):[a-z0-9*-]+:[a-z0-9*-]*:(\\d{12}|\\*)?:[^\\s$?]+)$`)
const resourcePrefix = 'resource:'

export const awsScopes = defineScopes(
  (item) => actionItem.test(item) || resourceItem.test(item),
  ['s3:GetObject', 'ec2:Describe*', 'resource:arn:aws:s3:::reports/*', 'resource:*'],
)

const isResourceItem = (item: string): boolean => item.startsWith(resourcePrefix)

/** Actions and resources of a scope set, as the session policy lists them. */
export function splitScopes(scopes: ScopeSet): { actions: string[]; resources: string[] } {
  return {
    actions: scopes.filter((item) => !isResourceItem(item)),
    resources: scopes.filter(isResourceItem).map((item) => item.slice(resourcePrefix.length)),
  }
}

/** STS actions whose session belongs to another role: a deny on the bound role does not reach it. */
const chainingActions = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML']

/** The first item that allows assuming another role (`sts:AssumeRole*`, `sts:*`, ...), if any. */
export function roleChainingItem(scopes: ScopeSet): string | undefined {
  return scopes.find((scope) => chainingActions.some((action) => covers(scope, action)))
}

/** Ceiling item `granted` covers `wanted`: same kind, and `wanted`'s text matches `granted`'s pattern. */
export function covers(granted: string, wanted: string): boolean {
  if (isResourceItem(granted) !== isResourceItem(wanted)) return false
  // IAM compares action names ignoring case and resources exactly.
  return globMatches(granted, wanted, !isResourceItem(granted))
}

function globMatches(pattern: string, text: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(text)
}

/**
 * Narrows `requested` against `ceiling`: each item known (ScopeUnknown) and covered by a ceiling
 * item of its kind (ScopeWidening). A request that names actions but no resource gets the
 * ceiling's resources, one that names resources but no action the ceiling's actions: the session
 * policy is the product of both lists, and each side only ever narrows. An empty request
 * narrows to nothing (the broker sends the ceiling when the agent names no scope). Pure.
 */
export function narrowAwsScopes(ceiling: ScopeSet, requested: ScopeSet): ScopeSet {
  const narrowed = [...narrowScopes(ceiling, requested, { catalogue: awsScopes, covers })]
  if (narrowed.length === 0) return narrowed
  if (!narrowed.some((item) => !isResourceItem(item))) narrowed.push(...ceiling.filter((item) => !isResourceItem(item)))
  if (!narrowed.some(isResourceItem)) narrowed.push(...ceiling.filter(isResourceItem))
  return narrowed
}

/**
 * AWS caps the plain text of a session policy at 2,048 characters (then packs it with the
 * session tags against a second, unpublished limit: PackedPolicyTooLarge).
 */
export const sessionPolicyMaxChars = 2048

/** The inline session policy for a narrowed scope set: allow these actions on these resources. */
export function sessionPolicy(scopes: ScopeSet): string {
  const { actions, resources } = splitScopes(scopes)
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }] })
}

/** A session policy that allows nothing: for sessions minted only to prove a role can be assumed. */
export const denyAllPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] })
