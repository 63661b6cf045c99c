/**
 * The `line` channel block of `gateway.config.yaml` (DESIGN §4), with its defaults applied.
 */

/** The channel's settings exactly as written in the config file (snake_case keys). */
export interface LineSettings {
  channel_access_token: string
  /** Verifies `X-Line-Signature` on webhook requests. */
  channel_secret: string
  /** Messaging API base URL (a proxy or a test fake); default `https://api.line.me`. */
  api_base_url?: string
  /** Deadline of each API call; the config loader sets it from `timeout`. */
  timeout_ms?: number
}

export interface ResolvedLineSettings {
  channelAccessToken: string
  channelSecret: string
  apiBaseUrl: string
  /**
   * Where message content is downloaded. LINE serves it from a second host, api-data.line.me;
   * when `api_base_url` is set (a proxy, a fake), content goes through that same URL.
   */
  dataBaseUrl: string
  timeoutMs: number
}

export const LINE_DEFAULT_API_BASE_URL = 'https://api.line.me'
export const LINE_DEFAULT_DATA_BASE_URL = 'https://api-data.line.me'
/** When the loader gives none: the dispatcher's default send timeout. */
const DEFAULT_TIMEOUT_MS = 30_000

export function resolveLineSettings(s: LineSettings): ResolvedLineSettings {
  const custom = s.api_base_url?.replace(/\/+$/, '')
  return {
    channelAccessToken: s.channel_access_token,
    channelSecret: s.channel_secret,
    apiBaseUrl: custom ?? LINE_DEFAULT_API_BASE_URL,
    dataBaseUrl: custom ?? LINE_DEFAULT_DATA_BASE_URL,
    timeoutMs: s.timeout_ms ?? DEFAULT_TIMEOUT_MS,
  }
}
