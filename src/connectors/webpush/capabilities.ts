/**
 * What a `webpush` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const WEBPUSH_CAPABILITIES: TypeCapabilities = Object.freeze({
  // A push service queues every POST; a retry after a timeout may show a second notification.
  idempotentSends: false,
  sendJitter: false,
  nativeTemplates: false,
})
