/**
 * What a `line` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const LINE_CAPABILITIES: TypeCapabilities = Object.freeze({
  // X-Line-Retry-Key from our message id: LINE answers 409 to a repeat, which counts as sent.
  idempotentSends: true,
  sendJitter: false,
  nativeTemplates: false,
})
