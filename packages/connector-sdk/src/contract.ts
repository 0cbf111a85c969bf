/**
 * The Connector contract, as connector authors see it. The port itself lives in @lanyard/core
 * (core imports nothing); this file re-exports it and documents how to implement it.
 *
 * A connector is a plain object made with `defineConnector`:
 * - `type`: the name used in lanyard.yaml; stored with every grant, never changes.
 * - `sdk`: the semver range of @lanyard/connector-sdk it was written for; checked at load.
 * - `config`, `target`: Standard Schemas (zod works) for its systems[] fields and binding target.
 *   Use `secret()` for fields that hold secrets: the broker resolves `{ env }` / `{ file }`
 *   references into a SecretValue before validation.
 * - `scopes`: which scope items it knows; `narrow` must never widen.
 * - `create(config, host)`: returns the instance. Everything it needs from the world (fetch,
 *   clock, logger, the broker's signer, the deployment's mutex) comes through `host`. Upstream
 *   state the connector reads, changes and writes back whole (a policy document) is changed
 *   under `host.mutex.hold(...)`: replicas of one broker share it.
 * - `revoke` is required and idempotent; a result is a value (`revoked`, `expired`,
 *   `unrevocable-until`); only transient failure throws (UpstreamUnavailable), and the cascade
 *   retries it.
 * - Errors are the classes exported here, never a raw SDK error: `message` is sent to the
 *   agent, `detail` only logged, and neither holds a token, key or upstream body.
 */
export type {
  AccessTokenClaims,
  BrokerSigner,
  ConnectorDefinition,
  ConnectorHost,
  ConnectorInstance,
  ExchangeCredential,
  Health,
  HoldOptions,
  IssueRequest,
  Issued,
  Logger,
  Mutex,
  RevokeOutcome,
  RevokeRequest,
  ScopeCatalogue,
  ScopeSet,
  StandardSchemaV1,
  UpstreamRef,
  Clock,
} from '@lanyard/core'
export {
  BindingInvalid,
  ConfigInvalid,
  LanyardError,
  ScopeUnknown,
  ScopeWidening,
  SecretValue,
  UpstreamRefused,
  UpstreamUnavailable,
  createLocalMutex,
  isLanyardError,
  isSecretValue,
} from '@lanyard/core'
