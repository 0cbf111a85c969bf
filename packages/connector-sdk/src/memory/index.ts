export { memoryConnector } from './memory-connector.js'
export { createMemoryUpstream, MemoryUpstreamDown } from './memory-upstream.js'
export type { MemoryIntrospection, MemoryTokenStatus, MemoryUpstream, MemoryUpstreamOptions } from './memory-upstream.js'
export { memoryScopes } from './scopes.js'
