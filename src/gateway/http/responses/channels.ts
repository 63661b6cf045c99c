/** Channels as the API answers them, and the answers of the channel-facing routes. */
import { z } from 'zod'
import { CHANNEL_TYPES } from '../../../connectors/types.js'
import { idOf, named } from './common.js'
import { messageStatus } from './messages.js'

const rules = z
  .object({
    single_open_thread: z.boolean(),
    allow_with_open_thread: z.boolean(),
    mandatory_tags: z.union([z.boolean(), z.array(z.string())]),
    closing: z.object({ unassign: z.boolean() }),
    contact_first: z.boolean(),
    window: z
      .object({ duration_ms: z.number(), after: z.enum(['templates_only', 'deny']) })
      .nullable(),
    rate: z.object({ per_second: z.number(), per_recipient_per_second: z.number() }),
    max_unreplied_per_day: z.number().int().nullable(),
    opt_out: z
      .object({
        keywords: z.array(z.string()),
        resume: z.array(z.string()),
        confirmation: z.string().nullable(),
      })
      .nullable()
      .meta({
        description: 'Opt-out keywords (upper-cased), resume keywords, confirmation; null: off.',
      }),
  })
  .meta({ description: "The channel's effective rules (config defaults applied)." })

const channel = named(
  'Channel',
  z.object({
    name: z.string(),
    type: z.enum(CHANNEL_TYPES),
    state: z.enum([
      'connected',
      'connecting',
      'qr_required',
      'disconnected',
      'disabled',
      'error',
      'standby',
    ]),
    detail: z.string().nullable().meta({ description: 'A sentence a person can act on.' }),
    qr: z.string().optional().meta({ description: 'WhatsApp Web pairing QR (data: URL).' }),
    rules,
    owner: z
      .string()
      .nullable()
      .meta({
        description:
          'Stateful channels (Telegram polling, IMAP or SMTP-listener email, WhatsApp Web): the id ' +
          'of the daemon running the connector (null while none does). Stateless channels: null, ' +
          'every daemon sends them.',
      }),
  }),
  { description: 'A configured channel, its state and rules.' },
)

export const channelList = named('ChannelList', z.object({ items: z.array(channel) }), {
  description: 'Every configured channel, in config order.',
})

export const inboundAccepted = named(
  'InboundAccepted',
  z.object({
    message_id: idOf('msg'),
    contact_id: idOf('ct'),
    thread_id: idOf('th'),
    duplicate: z.boolean().meta({ description: 'This `id` was received before: nothing new.' }),
  }),
  { description: 'The inbound message is stored (or was already).' },
)

export const statusAccepted = named(
  'StatusAccepted',
  z.object({
    message_id: idOf('msg'),
    status: messageStatus,
    changed: z.boolean().meta({ description: 'false: the message was already past it.' }),
  }),
  { description: 'The status update is applied (statuses never go back).' },
)

export const pushKey = named(
  'PushKey',
  z.object({ vapid_public_key: z.string().meta({ description: 'base64url.' }) }),
  { description: "The channel's VAPID public key, for the site's script." },
)

export const subscribed = named('Subscribed', z.object({ contact_id: idOf('ct') }), {
  description: 'The subscription is registered on this contact.',
})
