/**
 * The `telegram` channel block of `gateway.config.yaml` (DESIGN §4), with its defaults applied.
 */
import { createHmac } from 'node:crypto'

/** The channel's settings exactly as written in the config file (snake_case keys). */
export interface TelegramSettings {
  token: string
  /** `polling` (default) or `webhook` (then `server.public_url` must be https for Telegram). */
  mode?: 'polling' | 'webhook'
  /** Echoed by Telegram in `X-Telegram-Bot-Api-Secret-Token`; derived from the token if absent. */
  webhook_secret?: string
  /** A self-hosted Bot API server (or a test fake); default `https://api.telegram.org`. */
  api_root?: string
  /** Deadline of each Bot API call but the long poll; the loader sets it from `timeout`. */
  timeout_ms?: number
}

export interface ResolvedTelegramSettings {
  token: string
  mode: 'polling' | 'webhook'
  webhookSecret: string
  apiRoot: string
  timeoutMs: number
}

export const TELEGRAM_DEFAULT_API_ROOT = 'https://api.telegram.org'
/** When the loader gives none: the dispatcher's default send timeout. */
const DEFAULT_TIMEOUT_MS = 30_000

export function resolveTelegramSettings(s: TelegramSettings): ResolvedTelegramSettings {
  return {
    token: s.token,
    mode: s.mode ?? 'polling',
    webhookSecret: s.webhook_secret ?? deriveWebhookSecret(s.token),
    // grammY refuses an apiRoot with a trailing slash
    apiRoot: (s.api_root ?? TELEGRAM_DEFAULT_API_ROOT).replace(/\/+$/, ''),
    timeoutMs: s.timeout_ms ?? DEFAULT_TIMEOUT_MS,
  }
}

/**
 * A secret stable across restarts and unique per bot, so webhook mode is authenticated even when
 * the admin sets none. Hex keeps it inside Telegram's allowed alphabet (A-Z a-z 0-9 _ -).
 */
function deriveWebhookSecret(token: string): string {
  return createHmac('sha256', token).update('omnigate telegram webhook secret').digest('hex')
}
