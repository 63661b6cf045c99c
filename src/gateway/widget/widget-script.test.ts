import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import type { RouteInput } from '../http/route.js'
import { widgetScript } from './widget-script.js'

const dir = mkdtempSync(join(tmpdir(), 'widget-script-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function appFor(path: string): Hono {
  const handler = widgetScript(path)
  const app = new Hono()
  app.get('/widget.js', (c) => handler({ c } as RouteInput<unknown, unknown>))
  return app
}

describe('GET /widget.js', () => {
  it('serves the built file as JavaScript, cacheable, with an ETag that answers 304', async () => {
    const file = join(dir, 'widget.js')
    writeFileSync(file, '(()=>{console.log("w")})()\n')
    const app = appFor(file)
    const res = await app.request('/widget.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+/)
    expect(await res.text()).toBe('(()=>{console.log("w")})()\n')
    const etag = res.headers.get('etag')
    expect(etag).toMatch(/^"[\w-]{22}"$/)
    const again = await app.request('/widget.js', { headers: { 'if-none-match': `W/${etag}` } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    const other = await app.request('/widget.js', { headers: { 'if-none-match': '"other"' } })
    expect(other.status).toBe(200)
  })

  it('answers 503, never cached, while the widget is not built', async () => {
    const res = await appFor(join(dir, 'missing.js')).request('/widget.js')
    expect(res.status).toBe(503)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })
})
