export { startOAuthSandbox } from './oauth-sandbox.js'
export type {
  IssuedTokenRecord,
  OAuthSandbox,
  OAuthSandboxClient,
  OAuthSandboxClientAuth,
  OAuthSandboxOptions,
  OAuthSandboxResource,
  TokenInspection,
} from './oauth-sandbox.js'
export type { ThrottleAnswer } from './fault-gate.js'
