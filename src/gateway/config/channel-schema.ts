/**
 * The channel types (DESIGN §4 table), joined on `type`. Each type's own keys, with their
 * defaults, are its connector's schema (`connectors/<type>/settings.ts`); here every channel also
 * takes `rules` and `timeout`. Base URLs are configurable so a local fake or a corporate proxy can
 * stand in for the platform.
 */
import { z } from 'zod'
import { emailSettings } from '../../connectors/email/settings.js'
import { lineSettings } from '../../connectors/line/settings.js'
import { telegramSettings } from '../../connectors/telegram/settings.js'
import type { ChannelType } from '../../connectors/types.js'
import { webchatSettings } from '../../connectors/webchat/settings.js'
import { webhookSettings } from '../../connectors/webhook/settings.js'
import { webpushSettings } from '../../connectors/webpush/settings.js'
import { whatsappCloudSettings } from '../../connectors/whatsapp-cloud/settings.js'
import { whatsappSettings } from '../../connectors/whatsapp/settings.js'
import { rulesSchema } from './rules-schema.js'
import { duration, strict } from './schema-parts.js'

const common = {
  rules: rulesSchema
    .optional()
    .meta({ description: 'This channel’s rules; override defaults.rules.' }),
  timeout: duration(
    'Deadline of each network call this channel makes. Default: dispatcher.send_timeout.',
  ).optional(),
}

const telegram = strict({ ...telegramSettings.shape, ...common })
const line = strict({ ...lineSettings.shape, ...common })
const whatsappCloud = strict({ ...whatsappCloudSettings.shape, ...common })
const whatsapp = strict({ ...whatsappSettings.shape, ...common })
const mail = strict({ ...emailSettings.shape, ...common })
const webpush = strict({ ...webpushSettings.shape, ...common })
const webhook = strict({ ...webhookSettings.shape, ...common })
const webchat = strict({ ...webchatSettings.shape, ...common })

/** Each type's own schema: also used alone to read a disabled channel's settings. */
export const CHANNEL_SCHEMAS = {
  telegram,
  line,
  'whatsapp-cloud': whatsappCloud,
  whatsapp,
  email: mail,
  webpush,
  webhook,
  webchat,
} as const satisfies Record<ChannelType, z.ZodObject>

export const channelSchema = z
  .discriminatedUnion('type', [telegram, line, whatsappCloud, whatsapp, mail, webpush, webhook, webchat])
  .meta({ description: 'A channel; `type` selects its keys.' })

export type RawChannel = z.output<typeof channelSchema>

/**
 * A disabled channel's block: the keys holding a missing `${VAR}` are left out, so every key but
 * `type` may be absent.
 */
export const disabledChannelSchema = z.discriminatedUnion('type', [
  telegram.partial().required({ type: true }),
  line.partial().required({ type: true }),
  whatsappCloud.partial().required({ type: true }),
  whatsapp.partial().required({ type: true }),
  mail.partial().required({ type: true }),
  webpush.partial().required({ type: true }),
  webhook.partial().required({ type: true }),
  webchat.partial().required({ type: true }),
])

export type DisabledRawChannel = z.output<typeof disabledChannelSchema>
