import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns'
import { isIP } from 'node:net'
import { Agent, buildConnector } from 'undici'
import { UpstreamUnavailable } from '@lanyard/core'
import { addressRefusal, classifyAddress, classifyHost, type UpstreamPolicy } from '@lanyard/connector-sdk'

/** 256 KiB: a token response, a discovery document or an STS answer is a few KiB. */
export const defaultMaxResponseBytes = 256 * 1024

export interface UpstreamFetchOptions {
  /** Names the system (or `webhooks`) in errors. */
  readonly name: string
  readonly policy: UpstreamPolicy
  readonly maxResponseBytes: number
  readonly timeoutMs: number
  /** Replaces the network (tests): the body cap still applies, the address rule does not. */
  readonly base?: typeof fetch
  /** The resolver behind the lookup hook; node's `dns.lookup` unless a test plays DNS rebinding. */
  readonly resolve?: typeof dnsLookup
}

export interface UpstreamFetch {
  readonly fetch: typeof fetch
  close(): Promise<void>
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

function refused(name: string, host: string, reason: string): Error {
  return Object.assign(new Error(`${host}: ${reason}`), { code: 'ERR_UPSTREAM_ADDRESS_REFUSED', lanyard: new UpstreamUnavailable(name, { detail: `refused to connect to ${host}: ${reason}` }) })
}

/**
 * The fetch the broker lends to one system, the single place where upstream answers are
 * bounded: (1) the address rule again at connect time, on every address the name resolves to
 * (DNS rebinding, redirects), through the socket's own `lookup` hook; IP literals, which skip
 * lookup, are checked before the connect. (2) No body over `maxResponseBytes`: a larger
 * declared length, or more bytes than that, aborts the request (closing the socket) and
 * answers UpstreamUnavailable before the body is in memory.
 */
export function createUpstreamFetch(options: UpstreamFetchOptions): UpstreamFetch {
  const { name, policy } = options
  const lookup = (hostname: string, lookupOptions: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
    ;(options.resolve ?? dnsLookup)(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, [])
      for (const { address } of addresses) {
        const reason = addressRefusal(classifyAddress(address), policy)
        if (reason !== undefined) return callback(refused(name, `${hostname} (${address})`, reason), [])
      }
      if (lookupOptions.all === true) return callback(null, addresses)
      return callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }
  const connect = buildConnector({ lookup, timeout: options.timeoutMs } as buildConnector.BuildOptions)
  const agent = new Agent({
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: (connectOptions, callback) => {
      const reason = addressRefusal(isIP(connectOptions.hostname.replace(/^\[|\]$/g, '')) ? classifyAddress(connectOptions.hostname) : classifyHost(connectOptions.hostname), policy)
      if (reason !== undefined) return callback(refused(name, connectOptions.hostname, reason), null)
      return connect(connectOptions, callback)
    },
  })
  const inner: typeof fetch = options.base ?? ((input, init) => fetch(input, { ...init, dispatcher: agent } as RequestInit))
  const max = options.maxResponseBytes
  const tooLarge = (declared?: number) => new UpstreamUnavailable(name, { detail: `upstream response body exceeds ${max} bytes${declared === undefined ? '' : ` (declared ${declared})`}` })

  const bounded: typeof fetch = async (input, init) => {
    const controller = new AbortController()
    const callerSignal = init?.signal ?? (input instanceof Request ? input.signal : undefined)
    const signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal
    let response: Response
    try {
      response = await inner(input, { ...init, signal })
    } catch (error) {
      const ours = (error as { cause?: { lanyard?: unknown }; lanyard?: unknown }).cause?.lanyard ?? (error as { lanyard?: unknown }).lanyard
      throw ours ?? error
    }
    const declared = Number(response.headers.get('content-length') ?? '0')
    if (declared > max) {
      controller.abort()
      throw tooLarge(declared)
    }
    if (response.body === null) return response
    const chunks: Uint8Array[] = []
    let size = 0
    const reader = response.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > max) {
        controller.abort()
        await reader.cancel().catch(() => undefined)
        throw tooLarge()
      }
      chunks.push(value)
    }
    const nullBody = [101, 204, 205, 304].includes(response.status)
    return new Response(nullBody ? null : Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  return { fetch: bounded, close: () => agent.close() }
}
