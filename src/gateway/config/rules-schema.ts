/**
 * The `rules` block, the same in `defaults.rules` and `channels.<name>.rules`. Every key is
 * optional: what is left out comes from `defaults.rules`, then from the channel type's defaults
 * (resolve.ts), merged key by key (`rate: { per_second: 5 }` keeps the default per-recipient rate).
 */
import { z } from 'zod'
import { duration, nullableNum, num, strict } from './schema-parts.js'
import { sendWindowSchema } from './send-window-schema.js'

const WINDOW_AFTER = ['templates_only', 'deny'] as const

const tag = z
  .string()
  .min(1, { message: 'a tag must not be empty' })
  .meta({ description: 'An allowed tag.' })

const keyword = z
  .string()
  .trim()
  .min(1, { message: 'a keyword must not be empty' })
  .meta({ description: 'A keyword: the whole message, any letter case.' })

export const rulesSchema = strict({
  single_open_thread: z.boolean().optional().meta({
    description:
      'At most one open or snoozed thread per contact; a send into another thread is refused (thread_conflict). Default: true.',
  }),
  allow_with_open_thread: z.boolean().optional().meta({
    description:
      'This channel may start a thread while the contact has another one open. Default: false (true for email).',
  }),
  mandatory_tags: z
    .union([
      z.boolean(),
      z.array(tag).min(1, { message: 'must list at least one tag (or use true)' }),
    ])
    .optional()
    .meta({
      description:
        'A thread needs a tag before an outbound message: true (any tag), or the list of allowed tags. Default: false.',
    }),
  closing: strict({
    unassign: z
      .boolean()
      .optional()
      .meta({ description: 'Closing a thread removes its assignee. Default: true.' }),
  })
    .optional()
    .meta({ description: 'What closing a thread does.' }),
  contact_first: z.boolean().optional().meta({
    description:
      'Only people who wrote to the channel first can be messaged. Default: true for telegram and webpush, else false.',
  }),
  window: z
    .union([
      strict({
        duration: duration(
          'How long after the customer’s last message anything may be sent.',
        ).optional(),
        after: z.enum(WINDOW_AFTER).optional().meta({
          description:
            'After the window: templates_only (only templates pass) or deny. Default: templates_only.',
        }),
      }),
      z.null(),
      z.literal(false),
    ])
    .optional()
    .meta({
      description:
        'Messaging window after the customer’s last message; null or false: no window. Default: { duration: 24h, after: templates_only } for whatsapp and whatsapp-cloud, else none.',
    }),
  rate: strict({
    per_second: num({ gt: 0, description: 'Messages per second on the whole channel.' }).optional(),
    per_recipient_per_second: num({
      gt: 0,
      description: 'Messages per second to one recipient (0.2: one every 5 s).',
    }).optional(),
  })
    .optional()
    .meta({ description: 'Send rate limits the dispatcher keeps. Defaults per channel type.' }),
  max_unreplied_per_day: nullableNum({
    int: true,
    min: 1,
    description:
      'First messages a day to people who never answered (null: no cap). Default: 50 for whatsapp, else null.',
  }).optional(),
  opt_out: z
    .union([
      strict({
        keywords: z
          .array(keyword)
          .min(1, { message: 'must list at least one keyword (or set opt_out: false)' })
          .optional()
          .meta({
            description:
              'Inbound messages that opt the contact out of this channel, matched on the whole trimmed message, any letter case (list every language you need). Default: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT.',
          }),
        resume: z.array(keyword).optional().meta({
          description: 'Inbound messages that opt the contact back in. Default: START, UNSTOP.',
        }),
        confirmation: z
          .union([z.string().min(1, { message: 'use null for no confirmation' }), z.null()])
          .optional()
          .meta({
            description:
              'Sent once when a keyword opts the contact out (it passes the opt-out it confirms); null: none. Default: "You are unsubscribed and will get no more messages here. Reply START to resume."',
          }),
      }),
      z.null(),
      z.literal(false),
    ])
    .optional()
    .meta({
      description:
        'Opt-out by keyword (DESIGN §15): a contact who sends a keyword is refused every later send on this channel (opted_out) until a resume keyword; null or false: off. Default: on for webhook, whatsapp and whatsapp-cloud, else off (email carries a one-click List-Unsubscribe link instead).',
    }),
  send_window: sendWindowSchema.optional(),
}).meta({ id: 'ChannelRules', description: 'Sending rules of a channel (DESIGN §5).' })

export type RawRules = z.output<typeof rulesSchema>
