import type { ConnectorDefinition, ExchangeCredential } from '@lanyard/core'

/** The version of this SDK; plugins declare a semver range of it in `sdk`. */
export const sdkVersion = '0.1.0'

/**
 * Identity function that infers `Config` and `Target` from the schemas and checks the
 * definition's shape at compile time. The broker checks it again at load (plugins).
 */
export function defineConnector<Config, Target, Credential extends ExchangeCredential = ExchangeCredential>(
  definition: ConnectorDefinition<Config, Target, Credential>,
): ConnectorDefinition<Config, Target, Credential> {
  return definition
}
