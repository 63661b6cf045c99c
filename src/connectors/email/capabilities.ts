/**
 * What a `email` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const EMAIL_CAPABILITIES: TypeCapabilities = Object.freeze({
  // SMTP has no idempotency key: a retry after a timeout may deliver a second mail.
  idempotentSends: false,
  sendJitter: false,
  nativeTemplates: false,
})
