/**
 * Platform issuers that sign workload tokens like GitHub Actions, Kubernetes and SPIRE: local
 * OIDC discovery and JWKS, and tokens with each platform's claims and algorithm. They check
 * nothing: they stand in for the platform when the broker's federated sign-in is tested.
 * Exported from `@lanyard/sandbox`; imports nothing of the project.
 */
export { startPlatformIssuer } from './platform-issuer.js'
export type { IssuerFault, PlatformIssuer, PlatformIssuerOptions } from './platform-issuer.js'
export { githubActionsIssuerUrl, startGitHubActionsIssuer } from './github-actions.js'
export type { GitHubActionsIssuer, GitHubActionsJob } from './github-actions.js'
export { startKubernetesIssuer } from './kubernetes.js'
export type { KubernetesIssuer, KubernetesPod } from './kubernetes.js'
export { startSpiffeIssuer } from './spiffe.js'
export type { SpiffeIssuer } from './spiffe.js'
