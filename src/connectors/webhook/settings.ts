/**
 * The `webhook` channel block of `gateway.config.yaml` (DESIGN §4): its schema, which holds each
 * default.
 */
import { z } from 'zod'
import { httpUrl, secret, strict, type ChannelTimeout } from '../shared/settings-parts.js'

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const webhookSettings = strict({
  type: z.literal('webhook'),
  url: httpUrl('Where outbound messages are POSTed (signed) for the app to relay.'),
  secret: secret('HMAC key signing outbound requests and checking inbound ones.'),
  // The rules apply it before a send is queued; the connector relays whatever address it is given.
  address: z
    .enum(['phone', 'email', 'any'])
    .default('any')
    .meta({ description: 'How recipient addresses are validated.' }),
  // Checked by the API routes, not the connector.
  require_timestamp: z.boolean().default(false).meta({
    description:
      'Inbound/status requests must carry the timestamped Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature); the bare X-Omnigate-Signature alone is refused.',
  }),
})

/**
 * The channel's settings as the config hands them over: defaults applied, `timeout_ms` added (the
 * deadline of one POST, connect included).
 */
export type WebhookSettings = z.output<typeof webhookSettings> & ChannelTimeout
