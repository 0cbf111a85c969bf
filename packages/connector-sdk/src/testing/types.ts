import type { ConnectorDefinition, ConnectorHost, ExchangeCredential, ScopeSet } from '@lanyard/core'

/** How the kit asks the upstream itself (never the connector) what a credential can do. */
export interface ConformanceUpstream<Credential extends ExchangeCredential = ExchangeCredential> {
  /**
   * True when `credential` is accepted upstream for every item of `scopes` right now. Ask the
   * upstream (an API call to the sandbox or the real service), not the connector: this is how
   * the kit tells a revoke that worked from one that only says so. With `scopes` empty: is the
   * credential accepted at all.
   */
  works(credential: Credential, scopes: ScopeSet): Promise<boolean>
  /**
   * Moves upstream time past the expiry of every credential issued so far (a sandbox's fake
   * clock). Present = the kit runs "revoke after expiry". Real upstreams cannot offer it.
   */
  expire?(): Promise<void>
}

/** What `setup` returns: one configured connector, one bound target, and its upstream. */
export interface ConformanceSetup<Credential extends ExchangeCredential = ExchangeCredential> {
  /** The system's config as the broker hands it over: secrets already resolved to SecretValue. */
  readonly config: unknown
  /** A binding target that exists upstream (as written in a binding, before validation). */
  readonly target: unknown
  /** The binding's ceiling: every item known to the connector and grantable on `target`. */
  readonly ceiling: ScopeSet
  readonly requests: {
    /** A request inside `ceiling` (non-empty, ideally smaller); every credential is issued for it. */
    readonly narrower: ScopeSet
    /** Items the catalogue knows but `ceiling` does not cover: each must be ScopeWidening. */
    readonly wider: ScopeSet
    /** Items the catalogue does not know: each must be ScopeUnknown. */
    readonly unknown: ScopeSet
  }
  /** Inputs that pass the schemas but that the upstream refuses; errors are checked on them. */
  readonly bogus: {
    /** A well-formed target that does not exist upstream (installation 999999, a missing role). */
    readonly target: unknown
    /** A well-formed config the upstream refuses (wrong key or client secret). Give one whenever the connector holds a credential of its own. */
    readonly config?: unknown
  }
  /**
   * Replaces parts of the default host (fetch, clock, signer, system). The logger and fetch are
   * always recorded. `allowInsecureUpstreamHttp` defaults to true for sandbox runs (they listen on
   * http://127.0.0.1) and false under LANYARD_ACC=1.
   */
  readonly host?: Partial<ConnectorHost>
  readonly upstream: ConformanceUpstream<Credential>
  /**
   * Parts of the credential that are public identifiers and may appear in `ref` / `index` for
   * attribution (the AWS access key id). Never the access token or a signing secret.
   */
  readonly publicParts?: (credential: Credential) => readonly string[]
  /** The broker's lifetime cap passed to `issue`. Default 3600. */
  readonly maxTtlSeconds?: number
  /** Stops sandboxes and servers `setup` started. Runs after the kit revoked what it issued. */
  readonly teardown?: () => Promise<void>
}

export interface ConformanceSetupContext {
  /** True under LANYARD_ACC=1: setup may point at the real upstream. Otherwise use a sandbox. */
  readonly acceptance: boolean
}

export interface ConnectorConformanceOptions<Config = unknown, Target = unknown, Credential extends ExchangeCredential = ExchangeCredential> {
  readonly connector: ConnectorDefinition<Config, Target, Credential>
  /** Suite name. Default: `connector "<type>" conformance`. */
  readonly name?: string
  readonly setup: (context: ConformanceSetupContext) => Promise<ConformanceSetup<Credential>>
}
