/** The Web Push routes' handlers: the public VAPID key, and registering a subscription. */
import type { Context } from 'hono'
import type { z } from 'zod'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { subscriptionBody } from '../http/schemas.js'
import type { Services } from '../services.js'
import { checkUserHash, pushPublicKey, subscribe as register } from './push.js'

/** A site on another origin fetches the key from its page. */
const CORS = { 'access-control-allow-origin': '*' }

export const pushKey =
  (svc: Services) =>
  (i: RouteInput<unknown, unknown>): JsonResult => ({
    status: 200,
    body: { vapid_public_key: pushPublicKey(svc, i.params.name ?? '') },
    headers: CORS,
  })

/** Checks `user_hash` before the body is trusted: a wrong hash is a 401 and nothing more. */
export const subscriptionHash =
  (svc: Services) =>
  (x: { c: Context; raw: Buffer; params: Record<string, string> }): void =>
    checkUserHash(svc, x.params.name ?? '', x.raw)

export const subscribe =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof subscriptionBody>, unknown>): Promise<JsonResult> => {
    const out = await register(svc, i.params.name ?? '', i.body)
    return { status: out.created ? 201 : 200, body: { contact_id: out.contactId }, headers: CORS }
  }
