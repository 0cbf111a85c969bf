import type { Command } from 'commander'
import type { StatementVerification } from '@lanyard/client'
import { emit } from '../cli-context.js'
import { VerificationFailed } from '../cli-error.js'
import { readInput } from '../read-input.js'

/**
 * `lanyard verify-statement <file|-> [--issuer url]`: checks a statement an agent signed
 * (`signStatement`) from the handle in its header alone: WebFinger, the broker-signed card, the
 * agent's key, live status. Prints the verdict; exits 0 only for `valid`, 1 for any other
 * verdict or when the statement cannot be checked. No admin token needed.
 */
export function statementVerify(program: Command): void {
  program
    .command('verify-statement')
    .description('verify a statement an agent signed, from its handle alone, and say whether the agent is still trusted')
    .argument('<file>', 'the statement (compact JWS); - reads stdin')
    .option('--issuer <url>', "the broker the handle resolves at (default: https://<the handle's domain>)")
    .action(async (file: string, options: { issuer?: string }, command: Command) => {
      const jws = (await readInput(file, 'the statement')).trim()
      const { StatementUnverifiable, verifyAgentStatement } = await import('@lanyard/client')
      let result: StatementVerification
      try {
        result = await verifyAgentStatement(jws, options.issuer === undefined ? {} : { issuer: options.issuer })
      } catch (error) {
        if (error instanceof StatementUnverifiable) throw new VerificationFailed(`statement not verifiable: ${error.message}`, { cause: error })
        throw error
      }
      emit(command, { verdict: result.verdict, handle: result.handle, kid: result.kid ?? null, status: result.status ?? null, payload: result.payload ?? null }, (r) =>
        `${r.verdict}: ${r.handle}${r.kid ? ` (key ${r.kid})` : ''}${r.status ? `, agent ${r.status.status} at generation ${r.status.generation}` : ''}\n`,
      )
      if (result.verdict !== 'valid') throw new VerificationFailed(`the statement is not valid: ${result.verdict}`)
    })
}
