import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { Router, type RequestHandler } from 'express'

/** apps/console/dist, from src/http or dist/http of the broker alike. */
const defaultConsoleDir = fileURLToPath(new URL('../../../console/dist', import.meta.url))

/** No inline script or style, nothing from elsewhere, never framed (#18). */
export const consoleCsp = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', consoleCsp)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
  next()
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lanyard console not built</title></head><body><h1>The console is not built</h1><p>Build it with <code>pnpm build</code> (or <code>pnpm --filter @lanyard/console build</code>) and reload.</p></body></html>`
const notFound = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1><p><a href="/console/">The console</a></p></body></html>`

/**
 * /console/: the web console's static build (apps/console, React + Vite), under a strict CSP.
 * Its pages live in the URL fragment, so only index.html and the hashed assets are served;
 * the broker starts without a build and answers 404 saying how to make one. Mounted after
 * the console's own endpoints (/console/session, /console/login, /console/callback).
 */
export function consoleStaticRoutes(dir: string = defaultConsoleDir): Router {
  const router = Router()
  router.get('/console', (req, res, next) => (req.originalUrl.split('?')[0] === '/console' ? res.redirect(302, '/console/') : next()))
  router.use(
    '/console',
    securityHeaders,
    express.static(dir, {
      index: 'index.html',
      redirect: false,
      dotfiles: 'ignore',
      // Assets carry their content hash in their names; index.html names the current ones.
      setHeaders: (res, path) => res.setHeader('Cache-Control', path.includes(`${join('dist', 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
    (_req, res) => {
      res.status(404).type('html').send(existsSync(join(dir, 'index.html')) ? notFound : notBuilt)
    },
  )
  return router
}
