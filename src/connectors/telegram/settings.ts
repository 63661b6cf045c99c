/**
 * The `telegram` channel block of `gateway.config.yaml` (DESIGN §4): its schema, which holds each
 * default, and what the connector derives from it.
 */
import { createHmac } from 'node:crypto'
import { z } from 'zod'
import { httpUrl, secret, strict, type ChannelTimeout } from '../shared/settings-parts.js'

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const telegramSettings = strict({
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
  // grammY refuses an apiRoot with a trailing slash: httpUrl removes it
  api_root: httpUrl('Bot API server (a self-hosted one, or a test fake).').prefault(
    'https://api.telegram.org',
  ),
})

/** The channel's settings as the config hands them over: defaults applied, `timeout_ms` added. */
export type TelegramSettings = z.output<typeof telegramSettings> & ChannelTimeout

export interface ResolvedTelegramSettings {
  token: string
  mode: 'polling' | 'webhook'
  webhookSecret: string
  apiRoot: string
  timeoutMs: number
}

export function resolveTelegramSettings(s: TelegramSettings): ResolvedTelegramSettings {
  return {
    token: s.token,
    mode: s.mode,
    webhookSecret: s.webhook_secret ?? deriveWebhookSecret(s.token),
    apiRoot: s.api_root,
    timeoutMs: s.timeout_ms,
  }
}

/**
 * A secret stable across restarts and unique per bot, so webhook mode is authenticated even when
 * the admin sets none. Hex keeps it inside Telegram's allowed alphabet (A-Z a-z 0-9 _ -).
 */
function deriveWebhookSecret(token: string): string {
  return createHmac('sha256', token).update('omnigate telegram webhook secret').digest('hex')
}
