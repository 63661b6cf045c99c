/**
 * Each channel type's capabilities (TypeCapabilities), as its connector folder declares them: what
 * the gateway knows of a channel from the config alone, before (or without) a built connector.
 * A built connector carries the same declaration in `capabilities`; this table only gathers them.
 */
import { EMAIL_CAPABILITIES } from './email/capabilities.js'
import { LINE_CAPABILITIES } from './line/capabilities.js'
import { TELEGRAM_CAPABILITIES } from './telegram/capabilities.js'
import type { ChannelType, TypeCapabilities } from './types.js'
import { WEBCHAT_CAPABILITIES } from './webchat/capabilities.js'
import { WEBHOOK_CAPABILITIES } from './webhook/capabilities.js'
import { WEBPUSH_CAPABILITIES } from './webpush/capabilities.js'
import { WHATSAPP_CLOUD_CAPABILITIES } from './whatsapp-cloud/capabilities.js'
import { WHATSAPP_CAPABILITIES } from './whatsapp/capabilities.js'

export const CHANNEL_CAPABILITIES: Readonly<Record<ChannelType, TypeCapabilities>> = Object.freeze({
  telegram: TELEGRAM_CAPABILITIES,
  whatsapp: WHATSAPP_CAPABILITIES,
  'whatsapp-cloud': WHATSAPP_CLOUD_CAPABILITIES,
  line: LINE_CAPABILITIES,
  email: EMAIL_CAPABILITIES,
  webpush: WEBPUSH_CAPABILITIES,
  webhook: WEBHOOK_CAPABILITIES,
  webchat: WEBCHAT_CAPABILITIES,
})
