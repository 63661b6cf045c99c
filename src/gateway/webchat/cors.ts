/**
 * The widget endpoints' Origin check and CORS (DESIGN §12), as one middleware on
 * `/v1/channels/{name}/webchat/*`: a browser request whose `Origin` is not in the channel's
 * `allowed_origins` is refused (403 `origin_not_allowed`) before anything else runs; an allowed
 * one gets its CORS headers on every answer, errors included (the widget must read a 401 to open
 * a new session), and its preflight (`OPTIONS`) is answered here. A request without `Origin` is not
 * from a browser page (a native app, the site's server): CORS protects nothing there, and the
 * `user_hash` or token is what authenticates it, so it passes.
 */
import type { Context, Next } from 'hono'
import { ApiError, apiError } from '../errors.js'
import type { Services } from '../services.js'

/** A day: browsers cap it lower (Chrome 2 h), so a preflight is rarely repeated. */
const PREFLIGHT_MAX_AGE_S = 86_400

/** The path this middleware guards, in hono's syntax. */
export const WEBCHAT_PATHS = '/v1/channels/:name/webchat/*'

function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': 'Retry-After',
  }
}

/** The channel's allowed origins, or null when `name` is not a web chat channel (the route says so). */
function allowedOrigins(svc: Services, name: string): readonly string[] | null {
  const ch = svc.config().channels[name]
  if (!ch || ch.info.type !== 'webchat' || ch.settings.type !== 'webchat') return null
  return ch.settings.allowed_origins ?? []
}

export function webchatCors(svc: Services) {
  return async (c: Context, next: Next): Promise<Response | void> => {
    const origin = c.req.header('origin')
    const allowed = allowedOrigins(svc, c.req.param('name') ?? '')
    if (origin === undefined || allowed === null) return next()
    if (!allowed.includes(origin.toLowerCase())) {
      const err = apiError(
        'origin_not_allowed',
        `origin ${origin} is not in this channel's allowed_origins`,
        { origin },
      )
      return c.json(err.toJSON(), err.status)
    }
    const headers = corsHeaders(origin)
    if (c.req.method === 'OPTIONS') {
      return new Response(null, {
        status: 204,
        headers: {
          ...headers,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': 'Authorization, Content-Type, Last-Event-ID',
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
        },
      })
    }
    try {
      await next()
    } catch (e) {
      // hono hands route errors to onError before this sees them; this is the belt to that.
      if (!(e instanceof ApiError)) throw e
      c.res = c.json(e.toJSON(), e.status, e.headers ?? {})
    }
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v)
  }
}
