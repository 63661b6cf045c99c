/**
 * `POST /v1/messages/{id}/cancel` (DESIGN §14): a message not on the wire yet — queued, scheduled
 * or waiting for a retry — becomes `cancelled` and its outbox job goes, through the store's
 * cancel of queued jobs (the one bulk cancel uses). A message whose job is leased right now is
 * being handed to the platform: it may be delivered whatever we do, so it is not cancellable
 * (409 `message_not_cancellable`, `details.in_flight: true`); nor is one already sent, failed
 * (409, `details.status`). Cancelling a cancelled message answers it again (200).
 */
import { apiError, notFound } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import { liveEvent } from '../live/index.js'
import type { Services } from '../services.js'
import { messageView } from '../views.js'

async function cancelMessage(svc: Services, id: string): Promise<JsonResult> {
  const m = await svc.store.messages.get(id)
  if (!m) throw notFound('message', id)
  if (m.status === 'cancelled') return { status: 200, body: messageView(m) }
  const pending = m.direction === 'out' && (m.status === 'queued' || m.status === 'sending')
  const now = svc.now().toISOString()
  if (!pending || (await svc.store.outbox.cancel([id], now)) === 0) {
    const again = (await svc.store.messages.get(id)) ?? m
    if (again.status === 'cancelled') return { status: 200, body: messageView(again) }
    const inFlight = again.status === 'queued' || again.status === 'sending'
    throw apiError(
      'message_not_cancellable',
      inFlight
        ? `message ${id} is being handed to the platform right now and may be delivered; it can't be cancelled`
        : `message ${id} is ${again.status}; only a message not sent yet can be cancelled`,
      { message_id: id, status: again.status, in_flight: inFlight },
    )
  }
  const done = (await svc.store.messages.get(id)) ?? m
  svc.live.publish([
    liveEvent(
      'message.status',
      {
        message_id: id,
        thread_id: done.thread_id,
        contact_id: done.contact_id,
        channel: done.channel,
        status: 'cancelled',
        platform_message_id: null,
        error: null,
      },
      now,
    ),
  ])
  return { status: 200, body: messageView(done) }
}

export const cancelMessageRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> =>
    cancelMessage(svc, i.params.id ?? '')
