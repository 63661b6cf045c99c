/**
 * The `whatsapp-cloud` channel block of `gateway.config.yaml` (DESIGN §4): its schema, which holds
 * each default, and what the connector derives from it.
 */
import { z } from 'zod'
import { describeValue } from '../shared/describe-value.js'
import {
  httpUrl,
  pattern,
  secret,
  strict,
  templateName,
  text,
  type ChannelTimeout,
} from '../shared/settings-parts.js'

/** Digits, also written as a YAML number (`phone_number_id: 1234567890`). */
const numericId = z
  .unknown()
  .transform((v, ctx) => {
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
    if (typeof s === 'string' && /^\d+$/.test(s)) return s
    ctx.addIssue({ code: 'custom', message: `${describeValue(v)} is not a numeric id`, input: v })
    return z.NEVER
  })
  .meta({ type: ['string', 'integer'], description: 'Phone number id from the WhatsApp Manager.' })

/** How one of our templates maps to an approved WhatsApp template. */
const cloudTemplate = strict({
  name: text('The approved WhatsApp template’s name.'),
  language: pattern(
    /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/,
    'a WhatsApp language code such as en or en_US',
    'The approved template’s language code (en, en_US, pt_BR …).',
  ),
  parameters: z
    .array(text('A variable name.'))
    .default([])
    .meta({ description: 'Variables filling the body parameters {{1}}, {{2}} … in order.' }),
})

/** The channel's own keys; the config adds `rules` and `timeout` to every channel. */
export const whatsappCloudSettings = strict({
  type: z.literal('whatsapp-cloud'),
  phone_number_id: numericId,
  access_token: secret('System-user access token of the Cloud API.'),
  app_secret: secret('App secret: verifies X-Hub-Signature-256 of inbound webhooks.'),
  verify_token: secret('Answer to the GET webhook verification handshake.'),
  graph_url: httpUrl('Graph API base URL.').prefault('https://graph.facebook.com'),
  // A current Graph API version; Meta supports each for about two years.
  api_version: pattern(
    /^v\d+\.\d+$/,
    'a Graph API version such as v21.0',
    'Graph API version.',
  ).default('v21.0'),
  templates: z.record(templateName, cloudTemplate).default({}).meta({
    description:
      'Maps templates of `templates:` to approved WhatsApp templates, sent natively after the window.',
  }),
})

/** Our variable names, in the order of the template's body parameters {{1}}, {{2}} … */
export type WhatsAppTemplateMapping = z.output<typeof cloudTemplate>

/** The channel's settings as the config hands them over: defaults applied, `timeout_ms` added. */
export type WhatsAppCloudSettings = z.output<typeof whatsappCloudSettings> & ChannelTimeout

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

export function resolveWhatsAppCloudSettings(
  s: WhatsAppCloudSettings,
): ResolvedWhatsAppCloudSettings {
  return {
    phoneNumberId: s.phone_number_id,
    accessToken: s.access_token,
    appSecret: s.app_secret,
    verifyToken: s.verify_token,
    graphUrl: s.graph_url,
    apiVersion: s.api_version,
    templates: s.templates,
    timeoutMs: s.timeout_ms,
  }
}
