/**
 * What a `webhook` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const WEBHOOK_CAPABILITIES: TypeCapabilities = Object.freeze({
  // Every POST carries Idempotency-Key (and webhook-id) = our message id; the relay dedupes by it.
  idempotentSends: true,
  sendJitter: false,
  nativeTemplates: false,
})
