import { randomUUID } from 'node:crypto'
import { extendPlatformIssuer, startPlatformIssuer, type PlatformIssuer } from './platform-issuer.js'

export interface KubernetesPod {
  readonly namespace: string
  readonly serviceAccount: string
  readonly pod?: string
  readonly node?: string
}

export interface KubernetesIssuer extends PlatformIssuer {
  /** A projected service-account token for `audience` (the kubelet's `expirationSeconds`, default 3600). */
  token(audience: string, pod: KubernetesPod, options?: { expirationSeconds?: number; overrides?: Record<string, unknown> }): Promise<string>
}

/**
 * Kubernetes API server stand-in for projected service-account tokens: RS256, `sub`
 * `system:serviceaccount:<ns>:<name>`, `aud` an array, and the `kubernetes.io` claim naming
 * namespace, pod, node and service account with their uids. Discovery and JWKS where the API
 * server serves them (`/.well-known/openid-configuration`, `/openid/v1/jwks`).
 */
export async function startKubernetesIssuer(options: { issuer?: string } = {}): Promise<KubernetesIssuer> {
  const base = await startPlatformIssuer({ alg: 'RS256', jwksPath: '/openid/v1/jwks', ...(options.issuer === undefined ? {} : { issuer: options.issuer }) })
  const self: KubernetesIssuer = extendPlatformIssuer(base, {
    async token(audience: string, pod: KubernetesPod, tokenOptions: { expirationSeconds?: number; overrides?: Record<string, unknown> } = {}) {
      const now = Math.floor(Date.now() / 1000)
      const podName = pod.pod ?? `${pod.serviceAccount}-7d9f8c6b5-x2x4q`
      return base.sign(
        {
          aud: [audience],
          sub: `system:serviceaccount:${pod.namespace}:${pod.serviceAccount}`,
          'kubernetes.io': {
            namespace: pod.namespace,
            node: { name: pod.node ?? 'node-1', uid: randomUUID() },
            pod: { name: podName, uid: randomUUID() },
            serviceaccount: { name: pod.serviceAccount, uid: randomUUID() },
          },
          nbf: now,
          exp: now + (tokenOptions.expirationSeconds ?? 3600),
          ...tokenOptions.overrides,
        },
        { typ: undefined },
      )
    },
  })
  return self
}
