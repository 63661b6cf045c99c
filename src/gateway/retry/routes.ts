/** `POST /v1/messages/{id}/retry`: a thin adapter over the use-case. */
import { apiError } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { messageView } from '../views.js'
import { retryMessage } from './use-case.js'

export const retryMessageRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    if (!i.caller) throw apiError('unauthorized', 'missing API key')
    const m = await retryMessage(svc, i.params.id ?? '', i.caller.id)
    return { status: 202, body: messageView(m) }
  }
