/** Sending (`POST /v1/messages`) and reading a message with its status history. */
import { apiError, notFound } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import { sendHeaders, type SendBody } from '../http/schemas.js'
import type { Services } from '../services.js'
import { messageView } from '../views.js'
import { bodyHash } from './idempotency.js'
import { send } from './use-case.js'

export const sendMessage =
  (svc: Services) =>
  async (i: RouteInput<SendBody, unknown>): Promise<JsonResult> => {
    const key = i.c.req.header('idempotency-key')
    if (key !== undefined && !sendHeaders.shape['Idempotency-Key'].safeParse(key).success) {
      throw apiError('invalid_field', 'Idempotency-Key: 1 to 200 characters', {
        field: 'Idempotency-Key',
      })
    }
    if (!i.caller) throw apiError('unauthorized', 'missing API key')
    const out = await send(svc, i.body, i.caller, key ? { key, bodyHash: bodyHash(i.raw) } : null)
    return { status: out.status, body: out.body }
  }

export const getMessage =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    const m = await svc.store.messages.get(i.params.id ?? '')
    if (!m) throw notFound('message', i.params.id ?? '')
    // Web chat messages carry their offline fallbacks (DESIGN §12).
    if (svc.config().channels[m.channel]?.info.type === 'webchat' && m.direction === 'out')
      return {
        status: 200,
        body: { ...messageView(m), fallback: await svc.store.webchat.fallbacks(m.id) },
      }
    return { status: 200, body: messageView(m) }
  }
