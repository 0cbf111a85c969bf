import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { consoleCsp, consoleStaticRoutes } from './console-static.js'

async function serve(dir: string) {
  const app = express().use(consoleStaticRoutes(dir))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) }
}

describe('/console static files', () => {
  const root = mkdtempSync(join(tmpdir(), 'lanyard-console-static-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('answers 404 saying how to build the console when there is no build', async () => {
    const s = await serve(join(root, 'missing'))
    const response = await fetch(`${s.url}/console/`)
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('pnpm build')
    expect(response.headers.get('content-security-policy')).toBe(consoleCsp)
    await s.close()
  })

  it('serves the build under the CSP, redirects /console to /console/, and 404s what is not there', async () => {
    const dist = join(root, 'dist')
    mkdirSync(join(dist, 'assets'), { recursive: true })
    writeFileSync(join(dist, 'index.html'), '<!doctype html><script type="module" src="/console/assets/a.js"></script>')
    writeFileSync(join(dist, 'assets', 'a.js'), 'export {}')
    const s = await serve(dist)
    const index = await fetch(`${s.url}/console/`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toBe("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    expect(index.headers.get('referrer-policy')).toBe('no-referrer')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const asset = await fetch(`${s.url}/console/assets/a.js`)
    expect(asset.headers.get('content-type')).toMatch(/javascript/)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const bare = await fetch(`${s.url}/console`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([302, '/console/'])
    const missing = await fetch(`${s.url}/console/nope.js`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).not.toContain('pnpm build')
    const escape = await fetch(`${s.url}/console/..%2f..%2fpackage.json`)
    expect(escape.status).toBe(404)
    await s.close()
  })
})
