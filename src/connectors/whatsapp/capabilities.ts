/**
 * What a `whatsapp` channel's platform does that the gateway must know (TypeCapabilities), declared
 * here once: the connector carries it and `CHANNEL_CAPABILITIES` reads it before one is built.
 * Kept free of the SDK, so the config can import it without loading the platform's library.
 */
import type { TypeCapabilities } from '../types.js'

export const WHATSAPP_CAPABILITIES: TypeCapabilities = Object.freeze({
  idempotentSends: false,
  // An unofficial client on a person's number: metronome-regular sends are a ban signal.
  sendJitter: true,
  nativeTemplates: false,
})
