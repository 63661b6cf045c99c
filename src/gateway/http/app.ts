/**
 * Builds the hono app from the routing table: body limit, shutdown gate, authentication, the API's
 * own rate limit, input validation and the one error handler that turns anything unknown into a
 * generic 500 (logged with its stack, nothing leaked).
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { BlankEnv } from 'hono/types'
import type { z } from 'zod'
import { ContactMoved } from '../contacts/merged.js'
import { ApiError, apiError } from '../errors.js'
import { storeUnavailable } from '../health/store-faults.js'
import type { Services } from '../services.js'
import { WEBCHAT_PATHS, webchatCors } from '../webchat/cors.js'
import { authenticate } from './auth.js'
import { checkJsonBounds } from './json-bounds.js'
import { describeZodError } from './validation.js'
import type { Route, RouteInput } from './route.js'

export function buildApp(svc: Services, routes: readonly Route[]): Hono {
  const app = new Hono()
  const log = svc.log.child({ component: 'http' })

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err)
    // A read of a merged contact (DESIGN §15): where it lives now.
    if (err instanceof ContactMoved) {
      return c.json({ merged_into: err.mergedInto }, 301, { Location: err.location })
    }
    // The store could not do it now (locked, disk full): 503, nothing stored; retry later.
    const fault = svc.storeFaults.report(err, `${c.req.method} ${c.req.path}`)
    if (fault) return errorResponse(c, storeUnavailable(fault))
    log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error')
    return errorResponse(c, apiError('internal', 'internal error; the details are in the log'))
  })
  app.notFound((c) =>
    errorResponse(c, apiError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  )

  app.use('*', async (c, next) => {
    if (svc.stopping()) {
      return errorResponse(
        c,
        apiError('shutting_down', 'the gateway is shutting down; retry shortly'),
      )
    }
    await next()
  })
  // Per request: a reload may change `server.body_limit`.
  app.use('*', async (c: Context<BlankEnv, '*'>, next) => {
    const limit = svc.config().server.body_limit
    const tooLarge = (cc: Context): Response =>
      errorResponse(
        cc,
        apiError('body_too_large', `the request body is larger than ${limit} bytes`, { limit }),
      )
    // A declared length is checked without touching the body (Node's parser holds the body to
    // it): hono's bodyLimit asks the Fetch Request for its body stream first, which makes
    // node-server build one for every request and read the body through Web Streams instead
    // of straight from Node's request (≈ 6 % of P1's CPU). Chunked bodies are counted by it.
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > limit) return tooLarge(c)
      return next()
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    return bodyLimit({ maxSize: limit, onError: tooLarge })(c, next)
  })

  // Web chat widget endpoints: Origin check, CORS headers and preflights (webchat/cors.ts).
  app.use(WEBCHAT_PATHS, webchatCors(svc))
  for (const r of routes) {
    app.on(r.method, r.path, async (c) => {
      const caller = r.auth.kind === 'key' ? authenticate(svc, c, r.auth.roles) : null
      const raw = Buffer.from(await c.req.arrayBuffer())
      r.verify?.({ c, raw, params: c.req.param() })
      const body = r.body ? parseBody(r.body, raw) : undefined
      const query = r.query ? parseWith(r.query, c.req.query(), 'query') : undefined
      const input: RouteInput<unknown, unknown> = {
        c,
        body,
        query,
        params: c.req.param(),
        raw,
        caller,
      }
      const result = await r.handler(input)
      if (result instanceof Response) return result
      return c.json(result.body as object, result.status, result.headers)
    })
  }
  // A known path with another method: 405 rather than a misleading 404.
  const paths = new Map<string, string[]>()
  for (const r of routes) paths.set(r.path, [...(paths.get(r.path) ?? []), r.method])
  for (const [path, methods] of paths) {
    app.all(path, (c) =>
      errorResponse(
        c,
        apiError(
          'method_not_allowed',
          `${c.req.method} is not allowed on ${path} (allowed: ${methods.join(', ')})`,
        ),
        { allow: methods.join(', ') },
      ),
    )
  }
  return app
}

/** A catalog error as its JSON answer; `c` is any hono context (only its `json()` is used). */
function errorResponse(
  c: Pick<Context, 'json'>,
  err: ApiError,
  headers: Record<string, string> = {},
): Response {
  return c.json(err.toJSON(), err.status, { ...headers, ...(err.headers ?? {}) })
}

function parseBody<T>(schema: z.ZodType<T>, raw: Buffer): T {
  let json: unknown
  const text = raw.toString('utf8')
  if (text.trim() === '') json = {}
  else {
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw apiError('invalid_json', `the body is not valid JSON: ${(e as Error).message}`)
    }
  }
  // Before the schema (or anything else recursive) walks it.
  const bad = checkJsonBounds(json)
  if (bad) throw apiError('invalid_field', bad.message, { field: bad.field, issues: [bad] })
  return parseWith(schema, json, 'body')
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const d = describeZodError(r.error, where)
  throw apiError('invalid_field', d.message, { field: d.field, issues: d.issues })
}
