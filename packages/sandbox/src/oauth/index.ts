export { startOAuthSandbox } from './oauth-sandbox.js'
export { startSignInSandbox } from './sign-in-sandbox.js'
export type { SignInSandbox, SignInSandboxOptions, SignInUser } from './sign-in-sandbox.js'
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
