/**
 * Request schemas of the v1 API (zod). They validate input (400 naming the field) and are the
 * source of `/v1/openapi.json`. Objects are strict: an unknown field is an error, not silently
 * dropped, so a typo in `thread_id` cannot turn into a new conversation.
 */
import { z } from 'zod'
import { isTimeZone } from '../../rules/index.js'

const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be an id starting with ${prefix}_`)

const name = z.string().trim().max(200)
const nullableName = name.nullable().optional()
const attributes = z.record(z.string(), z.unknown())
const stringMap = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
)

const attachmentInput = z
  .object({
    filename: z.string().min(1).max(255),
    content_type: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like image/png'),
    data: z.string().optional(),
    url: z.string().url().optional(),
  })
  .strict()
  .refine((a) => (a.data === undefined) !== (a.url === undefined), {
    message: 'give exactly one of data (base64) or url',
  })

/** DESIGN §14: a scheduled send's time (ISO-8601 with an offset); see gateway/schedule/. */
const sendAt = z.iso.datetime({ offset: true }).meta({
  description:
    'Send at this time (ISO-8601 with offset). In the past: at once; more than a year ahead: 422 invalid_field. The rules are checked now and again at this time.',
})

export const sendBody = z
  .object({
    contact_id: id('ct').optional(),
    to: z
      .object({
        channel: z.string().min(1),
        address: z.string().min(1).max(2048),
        first_name: nullableName,
        last_name: nullableName,
        email: z.string().max(320).nullable().optional(),
        phone: z.string().max(40).nullable().optional(),
        external_id: z.string().max(200).nullable().optional(),
        attributes: attributes.optional(),
      })
      .strict()
      .optional(),
    thread_id: id('th').optional(),
    channel: z.string().min(1).optional(),
    text: z.string().max(1_000_000).optional(),
    attachments: z.array(attachmentInput).max(50).optional(),
    template: z
      .object({ name: z.string().min(1), variables: stringMap.optional() })
      .strict()
      .optional(),
    variables: stringMap.optional(),
    email: z
      .object({
        from: z.string().optional(),
        subject: z.string().max(998).optional(),
        bcc: z.array(z.string()).max(50).optional(),
      })
      .strict()
      .optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
    dry_run: z.boolean().optional(),
    send_at: sendAt.optional(),
  })
  .strict()
  .refine((b) => [b.contact_id, b.to, b.thread_id].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of contact_id, to or thread_id',
    path: ['contact_id'],
  })
  .refine((b) => b.text === undefined || b.template === undefined, {
    message: 'give text or template, not both (a template is the whole message)',
    path: ['template'],
  })
  .meta({
    description: 'Exactly one of contact_id, to or thread_id; text or template, not both.',
    examples: [
      {
        to: { channel: 'sms', address: '+491701234567', first_name: 'Ana' },
        text: 'Hello {{first_name}}, your order shipped.',
      },
      {
        contact_id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z',
        channel: 'wa',
        template: { name: 'refund_update', variables: { status: 'approved' } },
      },
    ],
  })
export type SendBody = z.infer<typeof sendBody>

/** Headers a send reads. */
export const sendHeaders = z.object({
  'Idempotency-Key': z.string().min(1).max(200).optional().meta({
    description:
      'Per API key: the same key with the same body answers the same 202 again without sending twice; with another body, 409 idempotency_mismatch.',
  }),
})

/** Recipients of one bulk at most: P3's size, and ≈ 3 MB of ids for the snapshot. */
export const BULK_MAX_RECIPIENTS = 100_000

/** The contact search's filters, as a bulk's audience. */
const bulkFilter = z
  .object({
    q: z.string().max(200).optional(),
    thread_status: z.enum(['open', 'snoozed', 'closed']).optional(),
    assignee: z.string().min(1).max(100).optional(),
    tag: z.string().max(64).optional(),
    channel: z.string().max(64).optional(),
  })
  .strict()

export const bulkBody = z
  .object({
    filter: bulkFilter.optional(),
    contact_ids: z.array(id('ct')).min(1).max(BULK_MAX_RECIPIENTS).optional(),
    channel: z.string().min(1),
    text: z.string().min(1).max(100_000).optional(),
    template: z
      .object({ name: z.string().min(1), variables: stringMap.optional() })
      .strict()
      .optional(),
    variables: stringMap.optional(),
    email: z
      .object({ from: z.string().optional(), subject: z.string().max(998).optional() })
      .strict()
      .optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
    dry_run: z.boolean().optional(),
    send_at: sendAt.optional(),
  })
  .strict()
  .refine((b) => (b.filter === undefined) !== (b.contact_ids === undefined), {
    message: 'give exactly one of filter or contact_ids',
    path: ['filter'],
  })
  .refine((b) => (b.text === undefined) !== (b.template === undefined), {
    message: 'give text or template (exactly one)',
    path: ['text'],
  })
  .meta({
    description: 'Exactly one of filter or contact_ids; text or template (exactly one).',
    examples: [
      {
        filter: { tag: 'vip' },
        channel: 'sms',
        text: 'Hello {{first_name|there}}, our sale starts today.',
      },
    ],
  })
export type BulkBody = z.infer<typeof bulkBody>

export const contactCreate = z
  .object({
    first_name: nullableName,
    last_name: nullableName,
    email: z.string().max(320).nullable().optional(),
    phone: z.string().max(40).nullable().optional(),
    external_id: z.string().max(200).nullable().optional(),
    attributes: attributes.optional(),
    blocked: z.boolean().optional(),
    timezone: z
      .string()
      .max(64)
      .refine(isTimeZone, { message: 'not an IANA time zone name (Europe/Berlin)' })
      .nullable()
      .optional()
      .meta({ description: "The contact's IANA time zone, for send windows (null: unknown)." }),
    identities: z
      .array(
        z.object({ channel: z.string().min(1), address: z.string().min(1).max(2048) }).strict(),
      )
      .max(20)
      .optional(),
  })
  .strict()
  .meta({
    examples: [
      {
        first_name: 'Ana',
        last_name: 'Silva',
        email: 'ana@example.com',
        external_id: 'user-42',
        identities: [{ channel: 'sms', address: '+491701234567' }],
      },
    ],
  })
export type ContactCreate = z.infer<typeof contactCreate>

export const contactPatch = contactCreate.omit({ identities: true })
export type ContactPatchBody = z.infer<typeof contactPatch>

/** `POST /v1/contacts/{id}/merge`; the count (1–50) is checked by the use-case (`merge_invalid`). */
export const contactMerge = z
  .object({
    from: z.array(z.string().min(1).max(64)).meta({
      description: 'The contacts that go into this one (1 to 50 ids).',
    }),
  })
  .strict()

const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(200)
  .default(50)
  .meta({ description: 'Items per page (1 to 200).' })
const cursor = z
  .string()
  .max(200)
  .optional()
  .meta({ description: 'The `next_cursor` of the previous page.' })
const threadStatus = z.enum(['open', 'snoozed', 'closed'])
const assignee = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .meta({ description: '`me` (the calling key), `unassigned`, or an agent key id.' })
const channelName = z.string().max(64).optional().meta({ description: 'A channel name.' })

export const contactQuery = z
  .object({
    q: z.string().max(200).optional().meta({
      description: 'Prefix of a first or last name, email or phone (case- and format-insensitive).',
    }),
    thread_status: threadStatus.optional().meta({ description: 'Has a thread in this status.' }),
    assignee,
    tag: z.string().max(64).optional().meta({ description: 'Has a thread with this tag.' }),
    channel: channelName,
    limit,
    cursor,
  })
  .strict()

export const pageQuery = z.object({ limit, cursor }).strict()

/** `GET /v1/webhooks/deliveries`: only dead letters are listed (DESIGN §15). */
export const deliveryQuery = z
  .object({
    status: z
      .enum(['failed'])
      .default('failed')
      .meta({ description: 'Deliveries that used up their retries (the only status listed).' }),
    limit,
    cursor,
  })
  .strict()

export const threadCreate = z
  .object({
    contact_id: id('ct'),
    channel: z.string().min(1),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
  })
  .strict()
  .meta({
    examples: [{ contact_id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z', channel: 'sms', tags: ['billing'] }],
  })

export const threadQuery = z
  .object({
    status: threadStatus.optional().meta({ description: 'Threads in this status.' }),
    assignee,
    contact_id: id('ct').optional().meta({ description: 'Threads of this contact.' }),
    channel: channelName,
    limit,
    cursor,
  })
  .strict()

export const closeBody = z.object({ unassign: z.boolean().optional() }).strict()
export const snoozeBody = z.object({ until: z.iso.datetime({ offset: true }) }).strict()
export const assignBody = z.object({ agent: z.string().min(1).max(100).nullable() }).strict()
export const tagsBody = z.object({ tags: z.array(z.string().min(1).max(64)).max(50) }).strict()

export const webhookInbound = z
  .object({
    id: z.string().min(1).max(200),
    from: z
      .object({
        address: z.string().min(1).max(2048),
        first_name: nullableName,
        last_name: nullableName,
        email: z.string().max(320).nullable().optional(),
        phone: z.string().max(40).nullable().optional(),
      })
      .strict(),
    text: z.string().max(1_000_000).nullable().optional(),
    attachments: z.array(attachmentInput).max(20).optional(),
  })
  .strict()

export const webhookStatus = z
  .object({
    message_id: z.string().min(1).max(200).optional(),
    platform_message_id: z.string().min(1).max(200).optional(),
    status: z.enum(['delivered', 'read', 'failed']),
    error: z
      .object({ code: z.string().max(100), message: z.string().max(1000) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => (b.message_id === undefined) !== (b.platform_message_id === undefined), {
    message: 'give exactly one of message_id or platform_message_id',
    path: ['message_id'],
  })

export const attachmentQuery = z
  .object({
    exp: z.string().optional().meta({ description: 'A signed link: when it expires (unix s).' }),
    sig: z.string().optional().meta({ description: 'A signed link: its signature.' }),
  })
  .strict()

/** A browser push subscription, as `PushSubscription.toJSON()` gives it (also the widget's). */
export const pushSubscription = z
  .object({
    endpoint: z.string().url().max(2048),
    expirationTime: z.number().nullable().optional(),
    keys: z
      .object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) })
      .strict(),
  })
  .strict()

export const subscriptionBody = z
  .object({
    external_id: z.string().min(1).max(200),
    user_hash: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (HMAC-SHA256)'),
    subscription: pushSubscription,
    first_name: nullableName,
    last_name: nullableName,
    email: z.string().max(320).nullable().optional(),
  })
  .strict()
