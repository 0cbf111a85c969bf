/**
 * GitHub stand-in: a local REST API for GitHub Apps that checks what GitHub checks (App JWTs
 * against the App's key and GitHub's 10-minute window, installation repositories and
 * permissions, token expiry and revocation) and can be told to fail. For tests, the demo and
 * connector authors. Exported from `@lanyard/sandbox`; imports nothing of the project.
 */
export { startGitHubSandbox } from './github-sandbox.js'
export type { GitHubSandbox, GitHubSandboxOptions, RecordedRequest } from './github-sandbox.js'
export type { FaultMatch } from './faults.js'
export { hashToken as githubHashedToken, tokenLifetimeMs as githubTokenLifetimeMs } from './github-world.js'
export type { AccountType, InstallationSpec, IssuedToken, PermissionLevel, Permissions, TokenState } from './github-world.js'
