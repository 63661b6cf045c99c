/**
 * Serves the agent console (DESIGN §13) from the folder `npm run build` writes (`dist/console/`):
 * `index.html` is never cached (it names the current assets), the assets carry a content hash in
 * their names and are cached for a year. Every answer carries a strict Content-Security-Policy:
 * the console loads nothing but its own files and talks to nothing but this daemon.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Context, Hono } from 'hono'

/** No inline script or style, no other origin, no framing (clickjacking), no `<base>` tricks. */
const CONSOLE_CSP =
  "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
/** Hashed names change with their content: a year is safe, and `immutable` skips revalidation. */
const ASSET_CACHE = 'public, max-age=31536000, immutable'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
}

interface File {
  body: Buffer
  type: string
}

/** `dist/console/` of the package this module belongs to (from `src/` in tests, `dist/` when run). */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'dist', 'console')
}

/** Adds `GET /console`, `/console/` and `/console/assets/<file>` to `app`, read from `dir` once. */
export function mountConsole(app: Hono, dir: string): void {
  const index = readIfThere(join(dir, 'index.html'))
  const assets = new Map<string, File>()
  const assetDir = join(dir, 'assets')
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const f = readIfThere(join(assetDir, name))
      if (f) assets.set(name, f)
    }
  }
  // Relative asset URLs in index.html resolve under `/console/`, behind any path prefix.
  app.get('/console', (c) => c.redirect('/console/', 301))
  app.get('/console/', (c) => {
    if (!index) {
      return answer(
        c,
        503,
        'text/plain; charset=utf-8',
        'no-store',
        'The console is not built: run `npm run build`.\n',
      )
    }
    return answer(c, 200, index.type, 'no-cache', index.body)
  })
  app.get('/console/assets/:name', (c) => {
    const f = assets.get(c.req.param('name'))
    if (!f) return answer(c, 404, 'text/plain; charset=utf-8', 'no-store', 'not found\n')
    return answer(c, 200, f.type, ASSET_CACHE, f.body)
  })
}

function readIfThere(path: string): File | null {
  if (!existsSync(path)) return null
  return { body: readFileSync(path), type: TYPES[extname(path)] ?? 'application/octet-stream' }
}

function answer(
  c: Context,
  status: 200 | 404 | 503,
  type: string,
  cache: string,
  body: string | Buffer,
): Response {
  return c.body(typeof body === 'string' ? body : new Uint8Array(body), status, {
    'content-type': type,
    'cache-control': cache,
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  })
}
