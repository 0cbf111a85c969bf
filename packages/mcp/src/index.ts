/**
 * @module @lanyard/mcp
 *
 * For MCP servers: protect a server built with `@modelcontextprotocol/sdk` (or any HTTP
 * server) with Lanyard as its authorization server. Serves RFC 9728 Protected Resource
 * Metadata, verifies the broker's RFC 9068 access tokens (audience, expiry, scope per tool)
 * against its JWKS, with a DPoP proof of the bound key for DPoP-bound ones (RFC 9449), and
 * closes an agent's sessions when the broker announces its revocation.
 * Middleware for node:http and express. Imports nothing of the project; published on its own.
 */
export { createResourceServer } from './resource-server.js'
export type { AuthInfo, Closable, ResourceServer, ResourceServerEvent, ResourceServerOptions } from './types.js'
