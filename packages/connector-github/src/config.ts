import { createPrivateKey } from 'node:crypto'
import { secret, upstreamUrl } from '@lanyard/connector-sdk'
import { z } from 'zod'

/** GitHub App keys are often pasted into env vars with `\n` escaped; octokit accepts that too. */
export function normalisePem(pem: string): string {
  return pem.replace(/\\n/g, '\n').trim()
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(normalisePem(pem)).asymmetricKeyType === 'rsa'
  } catch {
    return false
  }
}

/**
 * The fields of a `type: github` system in lanyard.yaml. Closed: an unknown field is an error
 * naming it. The private key is checked at start (an RSA key in PEM, PKCS#1 as GitHub hands
 * it out, or PKCS#8); whether it belongs to `appId` only GitHub can say (see `health`).
 */
export const githubConfig = z
  .object({
    appId: z.number().int().positive(),
    privateKey: secret().refine((value) => isRsaPrivateKey(value.reveal()), { message: 'expected the App private key: an RSA key in PEM form' }),
    /** `https://api.github.com`; GitHub Enterprise Server: `https://HOST/api/v3`. */
    baseUrl: upstreamUrl()
      .default('https://api.github.com')
      .transform((value) => value.replace(/\/+$/, '')),
    /** Retries after the first attempt, for 5xx answers and secondary rate limits. */
    retries: z.number().int().min(0).max(10).default(2),
    /** Backoff on 5xx: retry n waits n² × this. The default (2 retries) waits 0.5 s then 2 s. */
    retryBaseDelayMs: z.number().int().min(0).max(60_000).default(500),
    /**
     * A rate limit asking to wait longer than this is not waited out: the agent gets
     * temporarily_unavailable at once (GitHub usually says 60 s; an exchange should not hang).
     */
    maxRetryAfterSeconds: z.number().int().min(0).max(600).default(5),
    /**
     * Hand out again an unexpired token minted for the same agent, binding and exact scope set
     * while at least `minRemainingSeconds` of its hour is left. Saves GitHub token mints; never
     * crosses agents. Off by default.
     */
    reuse: z
      .object({
        enabled: z.boolean().default(false),
        minRemainingSeconds: z.number().int().min(60).max(3540).default(1800),
      })
      .strict()
      .default({ enabled: false, minRemainingSeconds: 1800 }),
  })
  .strict()

export type GitHubConfig = z.output<typeof githubConfig>
