/** Attribution keys this connector writes into a grant's index: the token's `jti`. */
export const whoisKeys = ['mcp_jti'] as const

/** The whois index of one token: its `jti`, which is also the grant id. */
export function whoisIndex(jti: string): Record<string, string> {
  return { mcp_jti: jti }
}
