import { AsyncLocalStorage } from 'node:async_hooks'
import ipaddr from 'ipaddr.js'
import { z } from 'zod'

/**
 * Which internal addresses the broker may call for one system (or webhook). One switch each:
 * `allowPrivateNetwork` (per system) opens private ranges, `allowLoopback` (the deployment's
 * `sandbox: true`) opens loopback, for the local stand-ins. Link-local and cloud-metadata
 * addresses are refused whatever the switches say.
 */
export interface UpstreamPolicy {
  readonly allowPrivateNetwork: boolean
  readonly allowLoopback: boolean
  /** Plain http (to loopback only): the deployment's `upstream.allowInsecureUpstreamHttp`. Default true. */
  readonly allowPlainHttp?: boolean
}

/** What an address is, for the one rule. `forbidden`: link-local, metadata, unspecified, multicast, reserved. */
export type AddressClass = 'public' | 'private' | 'loopback' | 'forbidden'

/** Cloud metadata services by name, in the spellings resolvers accept (lower case, no trailing dot). */
const metadataNames = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal'])
/** Cloud metadata services by address outside link-local: AWS IPv6 (fd00:ec2::254), Alibaba (100.100.100.200). */
const metadataAddresses = new Set(['fd00:ec2::254', '100.100.100.200'])

/** Classifies an IP address in any spelling ipaddr.js parses; IPv4-mapped IPv6 counts as its IPv4. */
export function classifyAddress(address: string): AddressClass {
  const literal = address.replace(/^\[|\]$/g, '')
  if (!ipaddr.isValid(literal)) return 'forbidden'
  const ip = ipaddr.process(literal)
  if (metadataAddresses.has(ip.toNormalizedString()) || metadataAddresses.has(ip.toString())) return 'forbidden'
  const range = ip.range()
  switch (range) {
    case 'unicast':
      return 'public'
    case 'loopback':
      return 'loopback'
    case 'private':
    case 'uniqueLocal':
    case 'carrierGradeNat':
      return 'private'
    // (1) link-local (169.254/16, fe80::/10) holds the metadata services; (2) the rest either
    // is no destination (unspecified, multicast, broadcast, reserved) or embeds an IPv4 address
    // that could be any of the above (6to4, Teredo, NAT64): refused rather than decoded.
    default:
      return 'forbidden'
  }
}

/** Classifies a URL host: an IP literal by its address, a metadata name as forbidden, `localhost` as loopback; other names resolve at connect time (`undefined`). */
export function classifyHost(hostname: string): AddressClass | undefined {
  const host = hostname.toLowerCase().replace(/\.+$/, '').replace(/^\[|\]$/g, '')
  if (ipaddr.isValid(host)) return classifyAddress(host)
  if (metadataNames.has(host)) return 'forbidden'
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback'
  return undefined
}

/** Why `kind` is refused under `policy`, or undefined when it may be called. */
export function addressRefusal(kind: AddressClass | undefined, policy: UpstreamPolicy): string | undefined {
  switch (kind) {
    case 'forbidden':
      return 'a link-local, cloud-metadata or unspecified address is refused always'
    case 'loopback':
      return policy.allowLoopback ? undefined : 'a loopback address is refused (allowed only in a sandbox deployment, `sandbox: true`)'
    case 'private':
      return policy.allowPrivateNetwork ? undefined : 'a private-network address is refused (allowed only with `allowPrivateNetwork: true`)'
    default:
      return undefined
  }
}

const policyScope = new AsyncLocalStorage<UpstreamPolicy>()

/**
 * Runs `validate` under `policy`: the broker validates each system's configuration this way.
 * Outside it (a connector's own unit tests) loopback is allowed and private ranges are not.
 */
export function withUpstreamPolicy<T>(policy: UpstreamPolicy, validate: () => T): T {
  return policyScope.run(policy, validate)
}

const outsideBroker: UpstreamPolicy = { allowPrivateNetwork: false, allowLoopback: true }

/**
 * A config field holding a URL the broker will call. https, or plain http to a loopback address
 * (the sandbox); no credentials in it; its host checked against the one rule above under the
 * policy the broker validates with. The broker checks again at connect time, on the resolved
 * address (a name can resolve differently later), through its fetch's lookup hook.
 */
export function upstreamUrl() {
  return z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).superRefine((value, ctx) => {
    const url = new URL(value)
    const kind = classifyHost(url.hostname)
    const policy = policyScope.getStore() ?? outsideBroker
    const refusal = addressRefusal(kind, policy)
    if (refusal !== undefined) ctx.addIssue({ code: 'custom', message: refusal })
    else if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'must not carry credentials' })
    else if (url.protocol === 'http:' && kind !== 'loopback') ctx.addIssue({ code: 'custom', message: 'expected an https URL (plain http only to a loopback address, for the sandbox)' })
    else if (url.protocol === 'http:' && policy.allowPlainHttp === false) ctx.addIssue({ code: 'custom', message: 'plain http needs `upstream.allowInsecureUpstreamHttp: true` (sandbox only)' })
  })
}
