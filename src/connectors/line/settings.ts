/**
 * The `line` channel block of `gateway.config.yaml` (DESIGN §4): its schema, which holds each
 * default, and what the connector derives from it.
 */
import { z } from 'zod'
import { httpUrl, secret, strict, type ChannelTimeout } from '../shared/settings-parts.js'

const LINE_API_BASE_URL = 'https://api.line.me'
/** LINE serves message content from a second host. */
const LINE_DATA_BASE_URL = 'https://api-data.line.me'

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const lineSettings = strict({
  type: z.literal('line'),
  channel_access_token: secret('Messaging API channel access token (long-lived).'),
  channel_secret: secret('Channel secret: verifies x-line-signature of inbound webhooks.'),
  api_base_url: httpUrl('Messaging API base URL.').prefault(LINE_API_BASE_URL),
})

/** The channel's settings as the config hands them over: defaults applied, `timeout_ms` added. */
export type LineSettings = z.output<typeof lineSettings> & ChannelTimeout

export interface ResolvedLineSettings {
  channelAccessToken: string
  channelSecret: string
  apiBaseUrl: string
  /**
   * Where message content is downloaded: api-data.line.me beside LINE's own API; when
   * `api_base_url` points elsewhere (a proxy, a fake), content goes through that same URL.
   */
  dataBaseUrl: string
  timeoutMs: number
}

export function resolveLineSettings(s: LineSettings): ResolvedLineSettings {
  return {
    channelAccessToken: s.channel_access_token,
    channelSecret: s.channel_secret,
    apiBaseUrl: s.api_base_url,
    dataBaseUrl: s.api_base_url === LINE_API_BASE_URL ? LINE_DATA_BASE_URL : s.api_base_url,
    timeoutMs: s.timeout_ms,
  }
}
