/**
 * The `whatsapp` (WhatsApp Web) channel block of `gateway.config.yaml` (DESIGN §4): its schema,
 * which holds each default.
 */
import { z } from 'zod'
import { durationMs, pattern, strict, text, type ChannelTimeout } from '../shared/settings-parts.js'
import { DEFAULT_UNDELIVERED_AFTER_MS } from './ack-watchdog.js'

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const whatsappSettings = strict({
  type: z.literal('whatsapp'),
  chromium_path: text('Chromium or Chrome executable (default: puppeteer’s lookup).').optional(),
  session: pattern(
    /^[A-Za-z0-9_-]{1,64}$/,
    'a folder name: letters, digits, _ and -',
    'Session folder under the data folder (the paired phone’s login).',
  ).default('whatsapp'),
  /** In milliseconds once parsed. */
  undelivered_after: durationMs(
    'Ack watchdog: a sent message with no delivery ack after this long is flagged (never resent). Default: 1h.',
    DEFAULT_UNDELIVERED_AFTER_MS,
  ),
})

/**
 * The channel's settings as the config hands them over: defaults applied, `undelivered_after` in
 * milliseconds, `timeout_ms` added.
 */
export type WhatsAppSettings = z.output<typeof whatsappSettings> & ChannelTimeout
