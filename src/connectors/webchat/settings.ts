/**
 * The `webchat` channel block of `gateway.config.yaml` (DESIGN §12): its schema, which holds each
 * default. Fallback channel names are checked against the file by the config's cross-checks.
 */
import { z } from 'zod'
import { parseDuration } from '../../rules/duration.js'
import { httpUrl, secret, strict } from '../shared/settings-parts.js'

/** 10 minutes: the seed's "copied to the user's email within 10 minutes if they are offline". */
export const DEFAULT_FALLBACK_AFTER_MS = 10 * 60_000

const ORIGIN = /^https?:\/\/[^/\s]+$/

const after = z
  .string()
  .refine((s) => s === 'off' || (parseDuration(s) ?? 0) > 0, {
    message: 'must be a duration (e.g. 10m, 1h) or off',
  })
  .optional()
  .meta({ description: 'Unread this long → the email copy; `off` disables it. Default 10m.' })
  .transform((s) =>
    s === undefined ? DEFAULT_FALLBACK_AFTER_MS : s === 'off' ? null : parseDuration(s),
  )

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const webchatSettings = strict({
  type: z.literal('webchat'),
  secret: secret('user_hash = hex HMAC-SHA256(secret, external_id), computed by the site backend.'),
  allowed_origins: z
    .array(
      z
        .string()
        .regex(ORIGIN, { message: 'must be an origin: scheme://host[:port], no path' })
        .transform((s) => s.toLowerCase()),
    )
    .optional()
    .meta({ description: 'Origins whose pages may use the widget endpoints (CORS, Origin check).' })
    .transform((l) => l ?? []),
  fallback: strict({
    push: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'A webpush channel: unseen messages become a push notification.' }),
    email: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'An email channel: still unread after `after` → one email copy.' }),
    after,
    link: httpUrl(
      'Where the email copy and the push link back to. Default: the first allowed origin.',
    ).optional(),
  })
    .optional()
    .meta({ description: 'Offline fallback (DESIGN §12).' })
    .transform((f) => f ?? { after: DEFAULT_FALLBACK_AFTER_MS }),
})

/** The channel's settings as the config hands them over: defaults applied, `after` in ms (null: off). */
export type WebchatSettings = z.output<typeof webchatSettings> & { timeout_ms: number }
