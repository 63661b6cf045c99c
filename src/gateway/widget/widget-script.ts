/**
 * `GET /widget.js` (DESIGN §12): the web chat widget `npm run build` bundles into
 * `dist/widget/widget.js`, served to any site (no auth: it holds no secret). Its URL never changes,
 * so it is cached briefly and revalidated by ETag (a 304 costs no bytes) rather than for a year:
 * sites pick up a new release within the hour without editing their embed.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RouteInput } from '../http/route.js'

/** An hour in caches, then a conditional request; a day stale while revalidating. */
const CACHE = 'public, max-age=3600, stale-while-revalidate=86400'

interface Script {
  body: Uint8Array
  etag: string
}

/** `dist/widget/widget.js` of the package this module belongs to (from `src/` in tests too). */
function defaultWidgetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'dist', 'widget', 'widget.js')
}

/** The route's handler: the file is read once, at the first request that finds it. */
export function widgetScript(path = defaultWidgetPath()) {
  let script: Script | null = null
  return ({ c }: RouteInput<unknown, unknown>): Response => {
    script ??= load(path)
    if (!script) {
      return new Response('// The widget is not built: run `npm run build`.\n', {
        status: 503,
        headers: {
          'content-type': 'application/javascript; charset=utf-8',
          'cache-control': 'no-store',
        },
      })
    }
    const headers = {
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': CACHE,
      etag: script.etag,
      'x-content-type-options': 'nosniff',
      // Loaded by other sites' pages: allowed across origins, and it sends no credentials anyway.
      'cross-origin-resource-policy': 'cross-origin',
      'access-control-allow-origin': '*',
    }
    const match = c.req.header('if-none-match')
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === script?.etag)) {
      return new Response(null, { status: 304, headers })
    }
    return new Response(script.body, { status: 200, headers })
  }
}

function load(path: string): Script | null {
  if (!existsSync(path)) return null
  const body = readFileSync(path)
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { body: new Uint8Array(body), etag }
}
