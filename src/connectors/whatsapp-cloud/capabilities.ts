/**
 * What a `whatsapp-cloud` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const WHATSAPP_CLOUD_CAPABILITIES: TypeCapabilities = Object.freeze({
  // The Cloud API takes no idempotency key: a retry after a timeout may deliver twice.
  idempotentSends: false,
  sendJitter: false,
  // Approved templates mapped under the channel's `templates:` go out as WhatsApp templates, which
  // is what WhatsApp accepts once the 24 h customer service window is closed.
  nativeTemplates: true,
})
