/**
 * The widget endpoints' shapes (DESIGN §12): request bodies (strict: an unknown field is a 400)
 * and the named answers of the OpenAPI document.
 */
import { z } from 'zod'
import { idOf, named, timestamp } from '../http/responses/common.js'
import { pushSubscription } from '../http/schemas.js'

const name = z.string().trim().max(200)

/** `POST …/webchat/session`: who the visitor is, proven by the site's backend (`user_hash`). */
export const sessionBody = z
  .object({
    external_id: z.string().min(1).max(200),
    user_hash: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (HMAC-SHA256)'),
    first_name: name.nullable().optional(),
    last_name: name.nullable().optional(),
    email: z.string().max(320).nullable().optional(),
  })
  .strict()
export type SessionBody = z.infer<typeof sessionBody>

/** A file the visitor attaches, inline (a visitor never makes the gateway fetch a URL). */
const visitorAttachment = z
  .object({
    filename: z.string().min(1).max(255),
    content_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like image/png'),
    data: z.string().meta({ description: 'The file, base64.' }),
  })
  .strict()

/** `POST …/webchat/messages`: the visitor writes. */
export const visitorMessageBody = z
  .object({
    text: z.string().max(1_000_000).optional(),
    attachments: z.array(visitorAttachment).max(50).optional(),
    client_id: z.string().min(1).max(100).meta({
      description:
        'The widget’s own id for this message: a retry with it is answered as the first was.',
    }),
  })
  .strict()
export type VisitorMessageBody = z.infer<typeof visitorMessageBody>

export const seenBody = z.object({ up_to: idOf('msg') }).strict()

export const typingBody = z.object({}).strict()

/** `POST …/webchat/push`: a browser push subscription, as `PushSubscription.toJSON()` gives it. */
export const pushBody = z.object({ subscription: pushSubscription }).strict()
export type PushBody = z.infer<typeof pushBody>

const token = z
  .string()
  .min(1)
  .max(2000)
  .optional()
  .meta({ description: 'The session token (or send it as Authorization: Bearer).' })

/** `GET …/webchat/stream`. */
export const streamQuery = z
  .object({
    token,
    last_event_id: z.string().max(100).optional().meta({
      description: 'Resume after this event id (for clients that cannot send Last-Event-ID).',
    }),
  })
  .strict()

/** `GET …/webchat/messages`. */
export const historyQuery = z
  .object({
    token,
    before: idOf('msg').optional().meta({ description: 'Only messages older than this one.' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'Messages in the page (default 30).' }),
  })
  .strict()

export interface TokenQuery {
  token?: string | undefined
  last_event_id?: string | undefined
  before?: string | undefined
  limit?: number | undefined
}

export const webchatSession = named(
  'WebchatSession',
  z.object({
    token: z
      .string()
      .meta({ description: 'Signed, short-lived: `?token=` on GETs, `Bearer` on POSTs.' }),
    expires_at: timestamp,
    contact_id: idOf('ct'),
    thread_id: idOf('th')
      .optional()
      .meta({ description: 'The open web chat thread, when there is one.' }),
  }),
  { description: 'A widget session.' },
)

export const webchatMessage = named(
  'WebchatMessage',
  z.object({
    id: idOf('msg'),
    direction: z
      .enum(['in', 'out'])
      .meta({ description: 'in: the visitor wrote it; out: to the visitor.' }),
    author: z.enum(['visitor', 'agent', 'app', 'automation']),
    author_name: z
      .string()
      .nullable()
      .meta({ description: 'The agent’s display name, when known.' }),
    text: z.string().nullable(),
    attachments: z.array(
      z.object({
        id: idOf('att'),
        filename: z.string(),
        content_type: z.string(),
        size: z.number().int(),
        url: z.string().meta({ description: 'A signed, expiring link (no key needed).' }),
      }),
    ),
    status: z.enum(['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled']),
    created_at: timestamp,
  }),
  { description: 'A message as the visitor sees it (no addresses, no internal fields).' },
)

export const webchatHistory = named(
  'WebchatHistory',
  z.object({
    items: z.array(webchatMessage).meta({ description: 'Oldest first.' }),
    next_before: idOf('msg')
      .nullable()
      .meta({ description: 'Pass as `before` for the older page; null: this is the oldest.' }),
  }),
  { description: 'A page of the visitor’s conversation on this channel, newest page first.' },
)

export const webchatPosted = named(
  'WebchatPosted',
  z.object({ message_id: idOf('msg'), thread_id: idOf('th'), client_id: z.string() }),
  { description: 'The visitor’s message is stored (the same answer for a retried client_id).' },
)

export const webchatSeen = named(
  'WebchatSeen',
  z.object({ read: z.number().int().meta({ description: 'Messages that became read.' }) }),
  { description: 'Outbound messages up to `up_to` are read.' },
)

export const webchatPushRegistered = named(
  'WebchatPushRegistered',
  z.object({ channel: z.string(), contact_id: idOf('ct') }),
  { description: 'The subscription is registered on the fallback push channel for this contact.' },
)

export const webchatAccepted = named('WebchatAccepted', z.object({ ok: z.literal(true) }), {
  description: 'Done.',
})
