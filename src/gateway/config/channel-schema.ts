/**
 * One schema per channel type (DESIGN §4 table), joined on `type`. Besides its own keys every
 * channel takes `rules` and `timeout`. Base URLs are configurable so a local fake or a corporate
 * proxy can stand in for the platform.
 */
import { z } from 'zod'
import type { ChannelType } from '../../connectors/types.js'
import { rulesSchema } from './rules-schema.js'
import {
  credentialUrl,
  duration,
  email,
  hostPort,
  httpUrl,
  pattern,
  secret,
  strict,
  templateName,
  text,
} from './schema-parts.js'
import { describeValue } from './describe-value.js'

const common = {
  rules: rulesSchema
    .optional()
    .meta({ description: 'This channel’s rules; override defaults.rules.' }),
  timeout: duration(
    'Deadline of each network call this channel makes. Default: dispatcher.send_timeout.',
  ).optional(),
}

const telegram = strict({
  type: z.literal('telegram'),
  token: secret('Bot token from @BotFather.').regex(/^\d+:[A-Za-z0-9_-]+$/, {
    message: 'does not look like a bot token (<digits>:<letters>, from @BotFather)',
  }),
  mode: z
    .enum(['polling', 'webhook'])
    .default('polling')
    .meta({ description: 'polling (long polling) or webhook (server.public_url must be https).' }),
  webhook_secret: secret('Webhook mode: the secret_token Telegram sends back (A-Z a-z 0-9 _ -).')
    .regex(/^[A-Za-z0-9_-]{1,256}$/, {
      message:
        'may only hold A-Z, a-z, 0-9, _ and - (at most 256), Telegram’s rule for secret_token',
    })
    .optional(),
  api_root: httpUrl('Bot API server (a self-hosted one, or a test fake).').prefault(
    'https://api.telegram.org',
  ),
  ...common,
})

const line = strict({
  type: z.literal('line'),
  channel_access_token: secret('Messaging API channel access token (long-lived).'),
  channel_secret: secret('Channel secret: verifies x-line-signature of inbound webhooks.'),
  api_base_url: httpUrl('Messaging API base URL.').prefault('https://api.line.me'),
  ...common,
})

/** Digits, also written as a YAML number (`phone_number_id: 1234567890`). */
const numericId = z
  .unknown()
  .transform((v, ctx) => {
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
    if (typeof s === 'string' && /^\d+$/.test(s)) return s
    ctx.addIssue({ code: 'custom', message: `${describeValue(v)} is not a numeric id`, input: v })
    return z.NEVER
  })
  .meta({ type: ['string', 'integer'], description: 'Phone number id from the WhatsApp Manager.' })

const cloudTemplate = strict({
  name: text('The approved WhatsApp template’s name.'),
  language: pattern(
    /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/,
    'a WhatsApp language code such as en or en_US',
    'The approved template’s language code (en, en_US, pt_BR …).',
  ),
  parameters: z
    .array(text('A variable name.'))
    .default([])
    .meta({ description: 'Variables filling the body parameters {{1}}, {{2}} … in order.' }),
})

const whatsappCloud = strict({
  type: z.literal('whatsapp-cloud'),
  phone_number_id: numericId,
  access_token: secret('System-user access token of the Cloud API.'),
  app_secret: secret('App secret: verifies X-Hub-Signature-256 of inbound webhooks.'),
  verify_token: secret('Answer to the GET webhook verification handshake.'),
  graph_url: httpUrl('Graph API base URL.').prefault('https://graph.facebook.com'),
  api_version: pattern(
    /^v\d+\.\d+$/,
    'a Graph API version such as v21.0',
    'Graph API version.',
  ).default('v21.0'),
  templates: z.record(templateName, cloudTemplate).default({}).meta({
    description:
      'Maps templates of `templates:` to approved WhatsApp templates, sent natively after the window.',
  }),
  ...common,
})

const whatsapp = strict({
  type: z.literal('whatsapp'),
  chromium_path: text('Chromium or Chrome executable (default: puppeteer’s lookup).').optional(),
  session: pattern(
    /^[A-Za-z0-9_-]{1,64}$/,
    'a folder name: letters, digits, _ and -',
    'Session folder under the data folder (the paired phone’s login).',
  ).default('whatsapp'),
  undelivered_after: duration(
    'Ack watchdog: a sent message with no delivery ack after this long is flagged (never resent). Default: 1h.',
  ).optional(),
  ...common,
})

const mail = strict({
  type: z.literal('email'),
  smtp: strict({
    url: credentialUrl(['smtp', 'smtps'], 'Outgoing server, smtps://user:pass@host:465.'),
  }).meta({ description: 'Outgoing mail.' }),
  imap: strict({
    url: credentialUrl(['imap', 'imaps'], 'Incoming server, imaps://user:pass@host:993.'),
    mailbox: text('Mailbox watched for replies.').default('INBOX'),
  })
    .optional()
    .meta({ description: 'Incoming mail by IMAP IDLE (or use smtp_listen).' }),
  smtp_listen: hostPort('Receive mail with a built-in SMTP server on host:port.').optional(),
  senders: z
    .array(email('A sender mailbox.'))
    .min(1, { message: 'must list at least one sender address' })
    .meta({ description: 'Allowed From addresses; the first is the default.' }),
  default_subject: text('Subject when a send gives none.').optional(),
  ...common,
})

const webpush = strict({
  type: z.literal('webpush'),
  vapid: strict({
    public_key: text('VAPID public key (base64url).'),
    private_key: secret('VAPID private key (base64url).'),
    subject: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, { message: 'must start with mailto: or https://' })
      .meta({ description: 'Contact for the push service: mailto:… or https://….' }),
  })
    .optional()
    .meta({
      description: 'VAPID keys (`omnigate keys vapid`); generated in the data folder when absent.',
    }),
  secret: secret('Checks the user_hash of push subscriptions (HMAC of the user id).'),
  ttl: duration('How long the push service keeps an undelivered notification.').optional(),
  urgency: z
    .enum(['very-low', 'low', 'normal', 'high'])
    .optional()
    .meta({ description: 'Push urgency hint.' }),
  ...common,
})

const webhook = strict({
  type: z.literal('webhook'),
  url: httpUrl('Where outbound messages are POSTed (signed) for the app to relay.'),
  secret: secret('HMAC key signing outbound requests and checking inbound ones.'),
  address: z
    .enum(['phone', 'email', 'any'])
    .default('any')
    .meta({ description: 'How recipient addresses are validated.' }),
  require_timestamp: z.boolean().default(false).meta({
    description:
      'Inbound/status requests must carry the timestamped Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature); the bare X-Omnigate-Signature alone is refused.',
  }),
  ...common,
})

/** Each type's own schema: also used alone to read a disabled channel's settings. */
export const CHANNEL_SCHEMAS = {
  telegram,
  line,
  'whatsapp-cloud': whatsappCloud,
  whatsapp,
  email: mail,
  webpush,
  webhook,
} as const satisfies Record<ChannelType, z.ZodObject>

export const channelSchema = z
  .discriminatedUnion('type', [telegram, line, whatsappCloud, whatsapp, mail, webpush, webhook])
  .meta({ description: 'A channel; `type` selects its keys.' })

export type RawChannel = z.output<typeof channelSchema>
