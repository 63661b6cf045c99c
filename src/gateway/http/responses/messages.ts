/** Messages as the API answers them: a message with its history, a send's 202, a dry run's 200. */
import { z } from 'zod'
import { RULE_ERRORS } from '../../errors.js'
import { count, idOf, maybeTimestamp, named, page, stringMap, timestamp } from './common.js'

/** What `rules.evaluate()` may let through right now (DESIGN §5). */
export const messageKind = named('MessageKind', z.enum(['text', 'attachments', 'template']), {
  description: 'A kind of content: `template` alone passes outside a window.',
})

export const refusalCode = named(
  'RefusalCode',
  z.enum(Object.keys(RULE_ERRORS) as (keyof typeof RULE_ERRORS)[]),
  { description: 'Why the rules refuse a send (DESIGN §5).' },
)

export const messageStatus = named(
  'MessageStatus',
  z.enum(['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled']),
  { description: 'queued → sending → sent → delivered → read, or failed / cancelled; never back.' },
)

const statusChange = named('StatusChange', z.object({ status: messageStatus, at: timestamp }), {
  description: 'One status a message reached, and when.',
})

export const author = named(
  'Author',
  z.object({
    kind: z.enum(['agent', 'app', 'automation', 'contact']),
    id: z.string().nullable().meta({ description: 'The key id (agent, app), or null.' }),
  }),
  { description: 'Who wrote a message.' },
)

const messageAttachment = named(
  'MessageAttachment',
  z.object({
    id: idOf('att'),
    filename: z.string(),
    content_type: z.string(),
    size: count.meta({ description: 'Bytes.' }),
  }),
  { description: 'An attachment of a message; its bytes at `GET /v1/attachments/{id}`.' },
)

export const template = z.object({ name: z.string(), variables: stringMap })

const messageEmail = z.object({
  from: z.string(),
  subject: z.string().nullable(),
  bcc: z.array(z.string()),
  message_id: z.string().nullable().optional(),
  in_reply_to: z.string().nullable().optional(),
  references: z.array(z.string()).optional(),
})

const ids = {
  msg: 'msg_01jb2m7c4d5e6f7g8h9j0k1m2n',
  th: 'th_01jb2m7c4d5e6f7g8h9j0k1m2p',
  ct: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z',
}

export const message = named(
  'Message',
  z.object({
    id: idOf('msg'),
    thread_id: idOf('th'),
    contact_id: idOf('ct'),
    channel: z.string(),
    direction: z.enum(['in', 'out']),
    author,
    address: z.string().meta({ description: 'Where it went (out) or came from (in).' }),
    text: z.string().nullable(),
    template: template.nullable(),
    attachments: z.array(messageAttachment),
    email: messageEmail.nullable(),
    status: messageStatus,
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    platform_message_id: z.string().nullable(),
    bulk_id: idOf('bk').nullable(),
    attempts: count,
    possible_duplicate: z.boolean().meta({
      description: 'A retry followed an outcome-unknown failure on a platform without idempotency.',
    }),
    undelivered_after: maybeTimestamp.meta({
      description: 'When the ack watchdog flagged it: sent, but no delivery ack in time.',
    }),
    send_at: maybeTimestamp.optional().meta({
      description:
        'A held message (scheduled, or deferred to a send window): when it goes out; it is `queued` until then.',
    }),
    created_at: timestamp,
    status_history: z.array(statusChange),
    fallback: z
      .array(
        z.object({
          kind: z.enum(['push', 'email']),
          at: timestamp,
          message_id: idOf('msg')
            .nullable()
            .meta({ description: 'The fallback’s own message; null when its channel refused it.' }),
          error: z.object({ code: z.string(), message: z.string() }).nullable(),
        }),
      )
      .optional()
      .meta({
        description:
          'Web chat messages (DESIGN §12): the offline fallbacks that ran (a push, an email copy), in order.',
      }),
  }),
  {
    description: 'A message with its status history and last error.',
    examples: [
      {
        id: ids.msg,
        thread_id: ids.th,
        contact_id: ids.ct,
        channel: 'sms',
        direction: 'out',
        author: { kind: 'agent', id: 'alice' },
        address: '+491701234567',
        text: 'Hello Ana, your order shipped.',
        template: null,
        attachments: [],
        email: null,
        status: 'delivered',
        error: null,
        platform_message_id: 'relay-8812',
        bulk_id: null,
        attempts: 1,
        possible_duplicate: false,
        undelivered_after: null,
        created_at: '2025-03-02T17:41:00.000Z',
        status_history: [
          { status: 'queued', at: '2025-03-02T17:41:00.000Z' },
          { status: 'sending', at: '2025-03-02T17:41:00.020Z' },
          { status: 'sent', at: '2025-03-02T17:41:00.180Z' },
          { status: 'delivered', at: '2025-03-02T17:41:02.500Z' },
        ],
      },
    ],
  },
)

export const messagePage = named('MessagePage', page(message), {
  description: 'Messages of a thread, oldest first.',
})

export const messageAccepted = named(
  'MessageAccepted',
  z.object({
    id: idOf('msg'),
    status: z.literal('queued'),
    channel: z.string(),
    contact_id: idOf('ct'),
    thread_id: idOf('th'),
    direction: z.literal('out'),
    author,
    address: z.string().meta({ description: 'The normalised address it goes to.' }),
    to: z
      .string()
      .meta({ description: 'The same as `address`; kept for existing clients.', deprecated: true }),
    text: z.string().nullable().meta({ description: 'The final rendered text.' }),
    template: template.nullable(),
    email: messageEmail.nullable(),
    attachments: z.array(messageAttachment),
    created_at: timestamp,
    send_at: maybeTimestamp.optional().meta({
      description: 'A held message: when it goes out (null: at once).',
    }),
    deferred_until: maybeTimestamp.optional().meta({
      description:
        "When the channel's send window deferred the send: its next opening (then also `send_at`).",
    }),
  }),
  {
    description:
      'Accepted: the message is on disk, queued for the dispatcher (the same answer again for a repeated Idempotency-Key).',
    examples: [
      {
        id: ids.msg,
        status: 'queued',
        channel: 'sms',
        contact_id: ids.ct,
        thread_id: ids.th,
        direction: 'out',
        author: { kind: 'app', id: 'shop' },
        address: '+491701234567',
        to: '+491701234567',
        text: 'Hello Ana, your order shipped.',
        template: null,
        email: null,
        attachments: [],
        created_at: '2025-03-02T17:41:00.000Z',
      },
    ],
  },
)

export const decision = named(
  'Decision',
  z.object({
    dry_run: z.literal(true),
    allowed: z.boolean(),
    code: refusalCode.nullable(),
    message: z.string(),
    rule: z.string().nullable(),
    allowed_kinds: z.array(messageKind),
    window_expires_at: maybeTimestamp,
    address: z.string().nullable(),
    rendered: z
      .object({
        text: z.string().nullable(),
        template: template.nullable(),
        email: z
          .object({ from: z.string(), subject: z.string(), bcc: z.array(z.string()) })
          .nullable(),
      })
      .nullable(),
    thread_id: idOf('th').nullable().meta({ description: 'The active thread it would go into.' }),
  }),
  {
    description: 'dry_run: the send would be accepted like this; nothing is stored or sent.',
    examples: [
      {
        dry_run: true,
        allowed: true,
        code: null,
        message: 'allowed',
        rule: null,
        allowed_kinds: ['text', 'attachments', 'template'],
        window_expires_at: null,
        address: '+491701234567',
        rendered: { text: 'Hello Ana, your order shipped.', template: null, email: null },
        thread_id: null,
      },
    ],
  },
)
