/**
 * The tickets MCP server (test/support/mcp.ts: `@modelcontextprotocol/sdk`, streamable HTTP,
 * protected by @lanyard/mcp) as a child process, for test runs that are not TypeScript (the
 * Python client's pytest suite, clients/python/tests/conftest.py). One JSON object per line:
 *
 * 1. On start it prints `{ resource, origin }`: the URL to configure as the `mcp` system's
 *    `resource` (the broker's configuration names it, so the server listens first).
 * 2. Given `{ "protect": { "authorizationServer": <issuer>, "brokerCredential": <token> } }`
 *    once the broker is up, it puts @lanyard/mcp in front and waits for the broker's event
 *    stream; it prints `{ ready: true }`.
 *
 * It exits when stdin closes. Start it with `node --conditions=lanyard-source --import tsx`.
 */
import { createInterface } from 'node:readline'
import { startTicketsServer } from './mcp.js'

const tickets = await startTicketsServer()
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)

print({ resource: tickets.resource, origin: tickets.origin })
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  try {
    const command = JSON.parse(line) as { protect?: { authorizationServer: string; brokerCredential: string } }
    if (command.protect === undefined) {
      print({ error: 'unknown command' })
      continue
    }
    await tickets.protect({ authorizationServer: command.protect.authorizationServer, brokerCredential: command.protect.brokerCredential, reconnectDelayMs: 50 })
    print({ ready: true })
  } catch (error) {
    print({ error: error instanceof Error ? error.message : String(error) })
  }
}
await tickets.close()
