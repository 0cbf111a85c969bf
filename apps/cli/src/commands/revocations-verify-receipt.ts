import type { Command } from 'commander'
import type { JSONWebKeySet } from 'jose'
import type { ReceiptClaims, ReceiptSummary } from '../admin-wire.js'
import { emit, globalOptions } from '../cli-context.js'
import { UsageError, VerificationFailed } from '../cli-error.js'
import { formatTable } from '../output/table.js'
import { readInput } from '../read-input.js'
import { brokerKeys, parseJwks } from '../broker-keys.js'
import { fullDarkLine } from '../revocation-wait.js'
import { revocationDetails } from './revocations-show.js'

/** JOSE `typ` of a revocation receipt (packages/core/src/revocation/receipt.ts). */
const RECEIPT_TYPE = 'lanyard-receipt+jwt'
/** The algorithms of the broker's signing keys (POST /v1/signing-keys/rotate); never `none`. */
const ALGORITHMS = ['EdDSA', 'ES256', 'RS256']

type ReceiptLine = ReceiptClaims['grants'][number]

/**
 * `lanyard revocations verify-receipt <file|-> [--jwks file] [--issuer iss]`: checks a receipt
 * here, with jose: the signature against the broker's keys (from `--jwks`, or fetched from
 * --url: the receipt keys and the issuer it announces), `typ`, issuer, and that its summary
 * and full-dark time follow from its per-grant lines. The input is the compact JWS, or the JSON that
 * `revocations show --receipt --json` or `revoke --wait --json` print. No admin token needed.
 */
export function revocationsVerifyReceipt(revocations: Command): void {
  revocations
    .command('verify-receipt')
    .description("verify a revocation receipt offline against the broker's JWKS and print what it proves")
    .argument('<file>', "the receipt (compact JWS or the JSON of `revocations show --receipt --json`); - reads stdin")
    .option('--jwks <file>', 'the JWKS to verify against (default: fetched from --url)')
    .option('--issuer <iss>', 'the issuer the receipt must name (default with --url: the one the broker announces)')
    .action(async (file: string, options: { jwks?: string; issuer?: string }, command: Command) => {
      const jws = receiptJws(await readInput(file, 'the receipt'))
      const trust = options.jwks ? { jwks: parseJwks(await readInput(options.jwks, 'the JWKS'), options.jwks), issuer: options.issuer } : await brokerKeys(globalOptions(command).url, options.issuer)
      const result = await verifyReceipt(jws, trust.jwks, trust.issuer)
      emit(command, result, (r) => proves(r))
    })
}

/** A receipt whose signature, `typ`, issuer and arithmetic all check out. */
export interface VerifiedReceipt {
  verified: true
  issuer: string | undefined
  /** False when no issuer was expected (--jwks without --issuer): the JWKS alone vouches. */
  issuer_checked: boolean
  kid: string | undefined
  alg: string
  issued_at: string | undefined
  claims: ReceiptClaims
}

/**
 * Verifies a receipt JWS with jose against `jwks`: signature, `typ` lanyard-receipt+jwt, one
 * of the broker's algorithms, `issuer` when given; then checkConsistent. Throws CliError.
 */
export async function verifyReceipt(jws: string, jwks: JSONWebKeySet, issuer: string | undefined): Promise<VerifiedReceipt> {
  const { createLocalJWKSet, errors, jwtVerify } = await import('jose')
  let verified
  try {
    verified = await jwtVerify(jws, createLocalJWKSet(jwks), { typ: RECEIPT_TYPE, algorithms: ALGORITHMS, ...(issuer === undefined ? {} : { issuer }) })
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new VerificationFailed(`receipt does not verify: ${err.message} (${err.code})${err instanceof errors.JWKSNoMatchingKey ? '; the key is not among those given: another broker, or a JWKS saved before the key was made' : ''}`)
    throw err
  }
  const claims = verified.payload as unknown as ReceiptClaims
  checkConsistent(claims, verified.payload.sub)
  return {
    verified: true,
    issuer: verified.payload.iss,
    issuer_checked: issuer !== undefined,
    kid: verified.protectedHeader.kid,
    alg: verified.protectedHeader.alg,
    issued_at: verified.payload.iat === undefined ? undefined : new Date(verified.payload.iat * 1000).toISOString().replace('.000Z', 'Z'),
    claims,
  }
}

/** The compact JWS out of what the user has: the JWS itself, or a JSON document holding it. */
export function receiptJws(text: string): string {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let doc: unknown
    try {
      doc = JSON.parse(trimmed)
    } catch {
      throw new UsageError('the receipt file starts like JSON but does not parse')
    }
    const receipt = (doc as { receipt?: unknown }).receipt
    const nested = typeof receipt === 'object' && receipt !== null ? (receipt as { receipt?: unknown }).receipt : receipt
    if (typeof nested === 'string') return receiptJws(nested)
    throw new UsageError('no "receipt" member in that JSON (expected the output of `revocations show <id> --receipt --json`)')
  }
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(trimmed)) throw new UsageError('not a receipt: expected a compact JWS (three base64url parts) or JSON with a "receipt" member')
  return trimmed
}

/**
 * The broker signs whatever it computed; this checks the computation too, so a receipt cannot
 * claim a full dark earlier than its own lines allow: (1) `sub` is the revocation id; (2) the
 * summary counts its lines; (3) `full_dark_at` is the latest `dead_at` (or the job's end).
 */
export function checkConsistent(claims: ReceiptClaims, sub: string | undefined): void {
  const wrong = (what: string) => new VerificationFailed(`receipt is signed but inconsistent: ${what}`)
  if (typeof claims.revocation?.id !== 'string' || !Array.isArray(claims.grants) || typeof claims.full_dark_at !== 'string' || typeof claims.summary !== 'object' || claims.summary === null) throw wrong('claims missing')
  if (sub !== claims.revocation.id) throw wrong('sub is not the revocation id')
  const count = (test: (l: ReceiptLine) => boolean) => claims.grants.filter(test).length
  const expected: ReceiptSummary = {
    provably_dead: count((l) => l.outcome === 'revoked' && l.proof === 'dead'),
    revoked_unproven: count((l) => l.outcome === 'revoked' && l.proof !== 'dead'),
    dead_by_expiry: count((l) => l.outcome === 'expired' || l.outcome === 'unrevocable-until'),
    failed: count((l) => l.outcome === 'failed'),
  }
  for (const key of Object.keys(expected) as (keyof ReceiptSummary)[]) if (claims.summary[key] !== expected[key]) throw wrong(`summary.${key} is ${claims.summary[key]}, its lines say ${expected[key]}`)
  const end = Date.parse(claims.revocation.finished_at ?? claims.revocation.created_at)
  const latest = claims.grants.reduce((max, l) => Math.max(max, Date.parse(l.dead_at)), end)
  if (Date.parse(claims.full_dark_at) !== latest) throw wrong(`full_dark_at is ${claims.full_dark_at}, its lines say ${new Date(latest).toISOString()}`)
}

function proves(r: VerifiedReceipt): string {
  const { claims } = r
  const s = claims.summary
  return [
    `receipt verified: signed by ${r.issuer ?? '?'} with key ${r.kid ?? '?'} (${r.alg}), issued ${r.issued_at ?? '?'}${r.issuer_checked ? '' : ' (issuer not checked: pass --issuer)'}\n`,
    revocationDetails(claims.revocation),
    claims.grants.length > 0 ? formatTable(lineColumns, claims.grants) : 'no live grants were covered\n',
    `it proves the broker stated: ${s.provably_dead} grant(s) revoked and checked dead upstream, ${s.revoked_unproven} revoked without an upstream check, ${s.dead_by_expiry} dead only by expiry, ${s.failed} failed (alive until expiry at worst)\n`,
    `${fullDarkLine(claims.full_dark_at, s)}\n`,
  ].join('')
}

const lineColumns = [
  { header: 'grant', value: (l: ReceiptLine) => l.grant_id },
  { header: 'system', value: (l: ReceiptLine) => l.system },
  { header: 'outcome', value: (l: ReceiptLine) => l.outcome },
  { header: 'proof', value: (l: ReceiptLine) => l.proof },
  { header: 'expires', value: (l: ReceiptLine) => l.expires_at },
  { header: 'dead at', value: (l: ReceiptLine) => l.dead_at },
]
