import { readFile, rm, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { JWK } from 'jose'
import type { AgentKey } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { CliError, UsageError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'

/**
 * `lanyard keys add <handle> (--jwk-file <public.jwk> | --generate --out <private.jwk>)`.
 * Only a public key ever leaves this machine: a file holding a private key is refused, and
 * `--generate` writes the private half locally (mode 0600, never over an existing file).
 */
export function keysAdd(keys: Command): void {
  keys
    .command('add')
    .description("register a public key the agent proves its handle with (RFC 7523 assertions)")
    .argument('<handle>')
    .option('--jwk-file <path>', 'a public JWK (Ed25519 or P-256)')
    .option('--generate', 'generate an Ed25519 key pair here')
    .option('--out <path>', 'with --generate: where to write the private JWK (mode 0600)')
    .action(async (handle: string, options: { jwkFile?: string; generate?: boolean; out?: string }, command: Command) => {
      if (Boolean(options.jwkFile) === Boolean(options.generate)) throw new UsageError('give exactly one of --jwk-file <public.jwk> or --generate --out <private.jwk>')
      if (options.generate && !options.out) throw new UsageError('--generate needs --out <private.jwk>')
      if (!options.generate && options.out) throw new UsageError('--out goes with --generate')
      const api = adminApi(command)
      if (options.jwkFile) {
        const key = await api.post<AgentKey>(`${handlePath(handle)}/keys`, { jwk: await readPublicJwk(options.jwkFile) })
        emit(command, key, (k) => `registered key ${k.kid} (${k.alg}) for ${handle}\n`)
        return
      }
      const out = options.out as string
      const { publicJwk } = await generateTo(out)
      let key: AgentKey
      try {
        key = await api.post<AgentKey>(`${handlePath(handle)}/keys`, { jwk: publicJwk })
      } catch (err) {
        // An unregistered private key is useless; leave nothing behind for the retry to trip on.
        await rm(out, { force: true })
        throw err
      }
      emit(command, { ...key, private_key_file: out }, (k) => `registered key ${k.kid} (${k.alg}) for ${handle}\nprivate key written to ${out} (mode 0600): keep it with the agent\n`)
    })
}

async function readPublicJwk(path: string): Promise<JWK> {
  let jwk: unknown
  try {
    jwk = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new CliError(`cannot read a JWK from ${path}: ${(err as NodeJS.ErrnoException).code ?? 'not JSON'}`)
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new CliError(`${path} does not hold a JWK object`)
  if ('d' in jwk) throw new CliError(`${path} holds a private key; register the public key only (the JWK without "d")`)
  return jwk as JWK
}

/** Generates an Ed25519 pair here and writes the private JWK to `out` (mode 0600, never over an existing file). */
export async function generateTo(out: string): Promise<{ publicJwk: JWK }> {
  const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose')
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256')
  const privateJwk = { ...(await exportJWK(privateKey)), alg: 'EdDSA', kid }
  try {
    await writeFile(out, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(code === 'EEXIST' ? `${out} exists; not overwriting a key file` : `cannot write ${out}: ${code ?? 'unknown error'}`)
  }
  return { publicJwk }
}
