import type { JSONWebKeySet } from 'jose'
import { BrokerUnreachable, CliError } from './cli-error.js'

/*
 * The broker's signing keys, for what the CLI verifies offline or against the broker it asks:
 * revocation receipts and audit checkpoints.
 */

/**
 * With --url: the issuer the broker announces, and its receipt keys (every key it ever signed
 * with, so that a receipt outlives the rotation of its key), or its JWKS if it announces no
 * `lanyard_receipt_keys_uri`. Both read from `url`, the broker asked, like the discovery
 * itself: the announced issuer may be a public name this machine does not reach.
 */
export async function brokerKeys(url: string, issuer: string | undefined): Promise<{ jwks: JSONWebKeySet; issuer: string | undefined }> {
  const base = url.replace(/\/+$/, '')
  const configuration = (await fetchJson(`${base}/.well-known/openid-configuration`)) as { issuer?: unknown; lanyard_receipt_keys_uri?: unknown }
  const keysUrl = `${base}/.well-known/${configuration.lanyard_receipt_keys_uri === undefined ? 'jwks.json' : 'lanyard-receipt-keys.json'}`
  const announced = configuration.issuer
  return { jwks: parseJwks(JSON.stringify(await fetchJson(keysUrl)), keysUrl), issuer: issuer ?? (typeof announced === 'string' ? announced : undefined) }
}

async function fetchJson(url: string): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } })
  } catch {
    throw new BrokerUnreachable(`cannot reach ${new URL(url).origin} for the broker's keys: pass --url, or verify offline with --jwks <file>`)
  }
  if (!response.ok) throw new CliError(`${url} answered HTTP ${response.status}`)
  try {
    return await response.json()
  } catch {
    throw new CliError(`${url} did not answer JSON`)
  }
}

export function parseJwks(text: string, source: string): JSONWebKeySet {
  let jwks: unknown
  try {
    jwks = JSON.parse(text)
  } catch {
    throw new CliError(`${source} is not JSON`)
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) throw new CliError(`${source} is not a JWKS (no "keys" array)`)
  return jwks as JSONWebKeySet
}
