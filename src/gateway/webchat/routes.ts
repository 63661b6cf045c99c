/**
 * The widget endpoints' handlers (DESIGN §12): thin adapters from the route input to the
 * use-cases. No bearer key: the session checks `user_hash` (the route's `verify`), every other
 * call the session token; each visitor has a request budget (429 with Retry-After).
 */
import type { Context } from 'hono'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { history, markSeen, postMessage, visitorTyping } from './conversation.js'
import { registerPush } from './push.js'
import type { PushBody, SessionBody, TokenQuery, VisitorMessageBody } from './schemas.js'
import { checkSessionHash, openSession } from './session.js'
import { openVisitorStream, type WebchatStreamOptions } from './stream.js'
import { presentedToken, spendVisitorBudget, visitorOf, type Visitor } from './visitor.js'

const NO_STORE = { 'cache-control': 'no-store' }

function visitor(svc: Services, c: Context, params: Record<string, string>, spend = true): Visitor {
  const v = visitorOf(svc, params.name ?? '', presentedToken(c))
  if (spend) spendVisitorBudget(svc, v.name, v.contactId)
  return v
}

/** `verify` of the session route: the user_hash, before the body is trusted. */
export const sessionHash =
  (svc: Services) =>
  (x: { c: Context; raw: Buffer; params: Record<string, string> }): void =>
    checkSessionHash(svc, x.params.name ?? '', x.raw)

/**
 * `verify` of the token routes: the session token, before the body or query is parsed (an
 * unauthenticated caller learns nothing from validation errors).
 */
export const tokenCheck =
  (svc: Services) =>
  (x: { c: Context; raw: Buffer; params: Record<string, string> }): void => {
    visitorOf(svc, x.params.name ?? '', presentedToken(x.c))
  }

export const session =
  (svc: Services) =>
  async (i: RouteInput<SessionBody, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await openSession(svc, i.params.name ?? '', i.body),
    headers: NO_STORE,
  })

export const stream =
  (svc: Services, opts: WebchatStreamOptions = {}) =>
  (i: RouteInput<unknown, TokenQuery>): Response => {
    const v = visitor(svc, i.c, i.params)
    const last = i.c.req.header('last-event-id') ?? i.query.last_event_id ?? null
    return new Response(openVisitorStream(svc, v, last, i.c.req.raw.signal, opts), {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        // nginx buffers responses unless told not to; events would arrive in bursts.
        'x-accel-buffering': 'no',
      },
    })
  }

export const messages =
  (svc: Services) =>
  async (i: RouteInput<unknown, TokenQuery>): Promise<JsonResult> => ({
    status: 200,
    body: await history(svc, visitor(svc, i.c, i.params), i.query.before, i.query.limit),
    headers: NO_STORE,
  })

export const post =
  (svc: Services) =>
  async (i: RouteInput<VisitorMessageBody, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await postMessage(svc, visitor(svc, i.c, i.params), i.body),
  })

export const seen =
  (svc: Services) =>
  async (i: RouteInput<{ up_to: string }, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: { read: await markSeen(svc, visitor(svc, i.c, i.params), i.body.up_to) },
  })

export const typing =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    await visitorTyping(svc, visitor(svc, i.c, i.params))
    return { status: 200, body: { ok: true } }
  }

export const push =
  (svc: Services) =>
  async (i: RouteInput<PushBody, unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await registerPush(svc, visitor(svc, i.c, i.params), i.body),
  })
