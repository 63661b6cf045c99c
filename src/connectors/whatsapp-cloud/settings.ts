/**
 * The `whatsapp-cloud` channel block of `gateway.config.yaml` (DESIGN §4), with defaults applied.
 */

/** How one of our templates maps to an approved WhatsApp template. */
export interface WhatsAppTemplateMapping {
  /** The approved template's name in WhatsApp Manager. */
  name: string
  /** Its language code (`en`, `en_US`, `de` …). */
  language: string
  /** Our variable names, in the order of the template's body parameters {{1}}, {{2}} … */
  parameters: string[]
}

/** The channel's settings exactly as written in the config file (snake_case keys). */
export interface WhatsAppCloudSettings {
  phone_number_id: string
  /** A system-user access token with `whatsapp_business_messaging`. */
  access_token: string
  /** The Meta app's secret: verifies `X-Hub-Signature-256` on webhook requests. */
  app_secret: string
  /** What Meta echoes in the `GET` verification handshake (`hub.verify_token`). */
  verify_token: string
  /** Default `https://graph.facebook.com`. */
  graph_url?: string
  /** Default `v21.0`. */
  api_version?: string
  /** Our template name → the approved WhatsApp template. */
  templates?: Record<string, WhatsAppTemplateMapping>
  /** Deadline of each Graph API call; the config loader sets it from `timeout`. */
  timeout_ms?: number
}

export interface ResolvedWhatsAppCloudSettings {
  phoneNumberId: string
  accessToken: string
  appSecret: string
  verifyToken: string
  graphUrl: string
  apiVersion: string
  templates: Record<string, WhatsAppTemplateMapping>
  timeoutMs: number
}

export const GRAPH_DEFAULT_URL = 'https://graph.facebook.com'
/** A current Graph API version; Meta supports each for about two years. */
export const GRAPH_DEFAULT_VERSION = 'v21.0'
/** When the loader gives none: the dispatcher's default send timeout. */
const DEFAULT_TIMEOUT_MS = 30_000

export function resolveWhatsAppCloudSettings(
  s: WhatsAppCloudSettings,
): ResolvedWhatsAppCloudSettings {
  return {
    phoneNumberId: s.phone_number_id,
    accessToken: s.access_token,
    appSecret: s.app_secret,
    verifyToken: s.verify_token,
    graphUrl: (s.graph_url ?? GRAPH_DEFAULT_URL).replace(/\/+$/, ''),
    apiVersion: s.api_version ?? GRAPH_DEFAULT_VERSION,
    templates: s.templates ?? {},
    timeoutMs: s.timeout_ms ?? DEFAULT_TIMEOUT_MS,
  }
}
