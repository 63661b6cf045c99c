/**
 * The `webpush` channel block of `gateway.config.yaml` (DESIGN §4): its schema, which holds each
 * default.
 */
import { z } from 'zod'
import { durationMs, secret, strict, text, type ChannelTimeout } from '../shared/settings-parts.js'

/** 7 days: a browser closed over a long weekend still gets it; older news is read in the thread. */
const DEFAULT_TTL_MS = 7 * 24 * 3_600_000

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const webpushSettings = strict({
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
  /** In milliseconds once parsed. */
  ttl: durationMs('How long the push service keeps an undelivered notification.', DEFAULT_TTL_MS),
  urgency: z
    .enum(['very-low', 'low', 'normal', 'high'])
    .optional()
    .meta({ description: 'Push urgency hint.' })
    .transform((u) => u ?? 'normal'),
})

/**
 * The channel's settings as the config hands them over: defaults applied, `ttl` in milliseconds,
 * `timeout_ms` added.
 */
export type WebPushSettings = z.output<typeof webpushSettings> & ChannelTimeout
