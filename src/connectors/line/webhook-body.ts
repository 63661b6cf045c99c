/**
 * A LINE webhook body as we read it (`events[]`), from whatever JSON arrived signed. Not an
 * object → null (the handler answers 400); an event without the shape we read is skipped and
 * counted (LINE adds event types, and a 5xx would have it redeliver the whole body).
 */
import { z } from 'zod'
import { isJsonObject, validItems } from '../shared/wire-items.js'
import type { LineEvent } from './inbound.js'

const event = z.looseObject({
  type: z.string().max(64),
  // Milliseconds since the epoch, within what a Date can hold.
  timestamp: z.number().int().min(0).max(8.64e15).optional(),
  source: z
    .looseObject({
      type: z.string().max(64),
      userId: z
        .string()
        .regex(/^U[0-9a-f]{32}$/)
        .optional(),
    })
    .optional(),
  message: z
    .looseObject({
      id: z.string().min(1).max(64),
      type: z.string().max(64),
      text: z.string().max(100_000).optional(),
      fileName: z.string().max(255).optional(),
      contentProvider: z.looseObject({ type: z.string().max(64) }).optional(),
    })
    .optional(),
})

/** The events of `json` we can read, or null when it is not a webhook body at all. */
export function readWebhookEvents(json: unknown): { events: LineEvent[]; skipped: number } | null {
  if (!isJsonObject(json)) return null
  const skipped = { n: 0 }
  const events = validItems<LineEvent>(json.events, event, skipped)
  return { events, skipped: skipped.n }
}
