/**
 * App-webhook dead letters (DESIGN §15): `GET /v1/webhooks/deliveries?status=failed` lists the
 * deliveries that used up their retries, newest first; `POST /v1/webhooks/deliveries/{id}/replay`
 * queues one again as a fresh delivery of the same event (same event id, so a receiver that did
 * get it after all still dedupes it). Thin adapters over the store.
 */
import type { z } from 'zod'
import type { DeadLetter } from '../../store/types.js'
import { notFound } from '../errors.js'
import type { delivery } from '../http/responses/webhooks.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { deliveryQuery } from '../http/schemas.js'
import type { Services } from '../services.js'

export const listDeliveries =
  (svc: Services) =>
  async (i: RouteInput<unknown, z.infer<typeof deliveryQuery>>): Promise<JsonResult> => {
    const page = await svc.store.webhooks.deadLetters(i.query.limit, i.query.cursor)
    return {
      status: 200,
      body: { items: page.items.map(deliveryView), next_cursor: page.next_cursor },
    }
  }

export const replayDelivery =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    const raw = i.params.id ?? ''
    const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : null
    const out = id === null ? null : await svc.store.webhooks.replay(id, Date.now())
    if (!out) throw notFound('delivery', raw)
    svc.log.info(
      { component: 'webhooks', delivery_id: id, event_id: out.eventId, replay: out.deliveryId },
      'dead letter replayed',
    )
    svc.kick()
    return { status: 202, body: { id: out.deliveryId, event_id: out.eventId, status: 'queued' } }
  }

/** A dead letter as the API shows it (also in a contact's export). */
export function deliveryView(d: DeadLetter): z.output<typeof delivery> {
  const event = parseEvent(d.payload)
  return {
    id: d.id,
    event_id: d.eventId,
    type: typeof event?.type === 'string' ? event.type : null,
    url: d.target,
    status: 'failed',
    attempts: d.attempts,
    error: d.error,
    failed_at: d.failedAt,
    event,
  }
}

function parseEvent(payload: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(payload)
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}
