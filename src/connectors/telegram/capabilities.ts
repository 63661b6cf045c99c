/**
 * What a `telegram` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const TELEGRAM_CAPABILITIES: TypeCapabilities = Object.freeze({
  // The Bot API has no idempotency key: a retry after a timeout may deliver twice.
  idempotentSends: false,
  sendJitter: false,
  nativeTemplates: false,
})
