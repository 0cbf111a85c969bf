/**
 * @module @lanyard/sandbox
 *
 * Local stand-ins for the upstreams Lanyard talks to: GitHub (App JWT, installation tokens),
 * AWS STS and IAM (SigV4, web identity, inline policies) and an OAuth authorization server
 * (oidc-provider), and platform issuers of workload tokens (GitHub Actions, Kubernetes, SPIFFE),
 * which only sign. The others check what the real services check, so a test against them proves
 * something. Imports nothing of the project. Used by the demo, the tests and connector authors.
 */
export * from './github/index.js'
export * from './aws/index.js'
export * from './oauth/index.js'
export * from './platforms/index.js'
