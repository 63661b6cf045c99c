/** Contacts as the API answers them: a contact, its identities, search pages, eligibility. */
import { z } from 'zod'
import { CHANNEL_TYPES } from '../../../connectors/types.js'
import { idOf, jsonObject, maybeTimestamp, named, page, timestamp } from './common.js'
import { message, messageKind, refusalCode } from './messages.js'
import { threadEvent } from './threads.js'

const ct = 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z'

export const identity = named(
  'Identity',
  z.object({
    channel: z.string().meta({ description: 'A channel name from the config.' }),
    address: z.string().meta({ description: 'Normalised: E.164, email, chat id, user id …' }),
    first_inbound_at: maybeTimestamp,
    last_inbound_at: maybeTimestamp,
    reachable: z.boolean().meta({ description: 'false once the platform said the person left.' }),
  }),
  { description: "A contact's account on one channel." },
)

export const contact = named(
  'Contact',
  z.object({
    id: idOf('ct'),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable().meta({ description: 'E.164.' }),
    external_id: z.string().nullable().meta({ description: "Your app's own user id." }),
    attributes: jsonObject.meta({ description: 'Your data, for personalisation.' }),
    blocked: z.boolean(),
    timezone: z.string().nullable().optional().meta({ description: 'IANA time zone, or null.' }),
    identities: z.array(identity),
    created_at: timestamp,
    updated_at: timestamp,
    last_activity_at: timestamp,
  }),
  {
    description: 'A contact with its identities.',
    examples: [
      {
        id: ct,
        first_name: 'Ana',
        last_name: 'Silva',
        email: 'ana@example.com',
        phone: '+491701234567',
        external_id: 'user-42',
        attributes: { plan: 'pro' },
        blocked: false,
        identities: [
          {
            channel: 'sms',
            address: '+491701234567',
            first_inbound_at: '2025-03-01T09:12:00.000Z',
            last_inbound_at: '2025-03-02T17:40:05.000Z',
            reachable: true,
          },
        ],
        created_at: '2025-03-01T09:12:00.000Z',
        updated_at: '2025-03-01T09:12:00.000Z',
        last_activity_at: '2025-03-02T17:40:05.000Z',
      },
    ],
  },
)

export const contactPage = named('ContactPage', page(contact), {
  description: 'Contacts, newest activity first.',
})

const channelEligibility = named(
  'ChannelEligibility',
  z.object({
    channel: z.string(),
    type: z.enum(CHANNEL_TYPES),
    address: z.string().nullable(),
    can_send: z.boolean().meta({
      description: 'true also when only a template (or a tag first) would pass.',
    }),
    allowed_kinds: z.array(messageKind),
    code: refusalCode
      .nullable()
      .meta({ description: 'Why a text would be refused; null: it would pass.' }),
    reason: z.string().nullable(),
    rule: z.string().nullable(),
    window_expires_at: maybeTimestamp,
    deferred_until: maybeTimestamp.optional().meta({
      description:
        "When the channel's send window next opens, if a send now would wait for it (null: it would go now).",
    }),
    thread_id: idOf('th')
      .nullable()
      .meta({ description: 'The active thread a send would go into.' }),
  }),
  { description: 'May we send to the contact on this channel, and what.' },
)

export const eligibility = named(
  'Eligibility',
  z.object({ contact_id: idOf('ct'), channels: z.array(channelEligibility) }),
  {
    description: 'Per channel the contact can be reached on: may we send, and what.',
    examples: [
      {
        contact_id: ct,
        channels: [
          {
            channel: 'wa',
            type: 'whatsapp-cloud',
            address: '+491701234567',
            can_send: true,
            allowed_kinds: ['template'],
            code: 'template_required',
            reason: 'the 24 h window closed: only templates may be sent',
            rule: 'channels.wa.rules.window',
            window_expires_at: '2025-03-03T17:40:05.000Z',
            thread_id: null,
          },
        ],
      },
    ],
  },
)

const timelineItem = named(
  'TimelineItem',
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('message'),
      at: timestamp,
      direction: z.enum(['in', 'out']),
      message,
    }),
    z.object({ kind: z.literal('event'), at: timestamp, event: threadEvent }),
  ]),
  { description: 'A message (either direction, any channel) or a thread event.' },
)

export const timelinePage = named('TimelinePage', page(timelineItem), {
  description: "The contact's messages and thread events, oldest first.",
})
