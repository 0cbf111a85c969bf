import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'

// The calibration subjects of the exchange bench: servers that do no work, each in its own
// process like the peer and the broker, to show what the load generator reaches at all on
// this machine. BENCH_CALIBRATION_SERVER picks one:
//   (1) `node:http`: reads the form body through and answers, whatever the path;
//   (2) `express`: express 5 with `express.urlencoded`, as the broker mounts it, and one route
//       on the broker's token path, since the bench sends them the broker's requests.
// Both answer the same small token response. Prints `listening <url>` once it listens; stops
// on SIGTERM.
const answer = { access_token: 'calibration', token_type: 'Bearer', expires_in: 600 }

function nodeHttp(): RequestListener {
  const body = JSON.stringify(answer)
  return (req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
  }
}

function expressApp(): RequestListener {
  const app = express()
  app.use(express.urlencoded({ extended: false }))
  app.post('/oauth/token', (_req, res) => void res.json(answer))
  return app
}

const listeners: Record<string, () => RequestListener> = { 'node:http': nodeHttp, express: expressApp }
const name = process.env.BENCH_CALIBRATION_SERVER ?? ''
const listener = listeners[name]
if (listener === undefined) throw new Error(`BENCH_CALIBRATION_SERVER: expected one of ${Object.keys(listeners).join(', ')}, got "${name}"`)
const server = createServer(listener())
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`))
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
