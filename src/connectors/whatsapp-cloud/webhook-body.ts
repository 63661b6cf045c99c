/**
 * A WhatsApp Cloud webhook body as we read it (`entry[].changes[].value` with `messages`,
 * `statuses`, `contacts`), from whatever JSON arrived signed. Not an object → null (the handler
 * answers 400); anything inside without the shape we read is skipped and counted (Meta's format
 * grows new fields and message types, and a 5xx would have Meta redeliver the body for days).
 */
import { z } from 'zod'
import { isJsonObject, validItems } from '../shared/wire-items.js'
import type { WaChangeValue, WaMessage, WaWebhookBody } from './inbound.js'

/** A WhatsApp id: the digits of a phone number (E.164 has at most 15). */
const waId = z.string().regex(/^\d{1,20}$/)
/** Unix seconds as a string: a Date for any of them. */
const seconds = z.string().regex(/^\d{1,12}$/)
const text = z.string().max(100_000)

const media = z.looseObject({
  id: z.string().min(1).max(512),
  mime_type: z.string().max(255).optional(),
  caption: text.optional(),
  filename: z.string().max(255).optional(),
})
const titled = z.looseObject({ title: text.optional() })

const message = z.looseObject({
  id: z.string().min(1).max(512),
  from: waId,
  timestamp: seconds.optional(),
  type: z.string().max(64),
  text: z.looseObject({ body: text }).optional(),
  image: media.optional(),
  document: media.optional(),
  audio: media.optional(),
  video: media.optional(),
  sticker: media.optional(),
  button: z.looseObject({ text: text.optional() }).optional(),
  interactive: z
    .looseObject({ button_reply: titled.optional(), list_reply: titled.optional() })
    .optional(),
})

const status = z.looseObject({
  id: z.string().min(1).max(512),
  status: z.string().max(64),
  timestamp: seconds.optional(),
  recipient_id: waId.optional(),
  errors: z
    .array(
      z.looseObject({
        code: z.number().optional(),
        title: z.string().max(1000).optional(),
        message: z.string().max(1000).optional(),
        error_data: z.looseObject({ details: z.string().max(1000).optional() }).optional(),
      }),
    )
    .optional()
    .catch(undefined),
})

const contact = z.looseObject({
  wa_id: z.string().optional(),
  profile: z
    .looseObject({ name: z.string().max(200).optional() })
    .optional()
    .catch(undefined),
})

const change = z.looseObject({ field: z.unknown(), value: z.unknown() })
const entry = z.looseObject({ changes: z.unknown() })

/** The parts of `json` we read, or null when it is not a webhook body at all. */
export function readWebhookBody(json: unknown): { body: WaWebhookBody; skipped: number } | null {
  if (!isJsonObject(json)) return null
  const skipped = { n: 0 }
  const entries = validItems(json.entry, entry, skipped).map((e) => ({
    changes: validItems(e.changes, change, skipped).map((c) => ({
      ...(typeof c.field === 'string' ? { field: c.field } : {}),
      ...(isJsonObject(c.value) ? { value: readValue(c.value, skipped) } : {}),
    })),
  }))
  return { body: { entry: entries }, skipped: skipped.n }
}

function readValue(v: Record<string, unknown>, skipped: { n: number }): WaChangeValue {
  const metadata = isJsonObject(v.metadata) ? v.metadata : {}
  const phoneNumberId = metadata.phone_number_id
  return {
    ...(typeof phoneNumberId === 'string' ? { metadata: { phone_number_id: phoneNumberId } } : {}),
    contacts: validItems(v.contacts, contact, skipped),
    messages: validItems<WaMessage>(v.messages, message, skipped),
    statuses: validItems(v.statuses, status, skipped),
  }
}
