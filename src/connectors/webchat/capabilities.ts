/**
 * What a `webchat` channel does that the gateway must know (TypeCapabilities): the "platform" is
 * this daemon's own store and streams, so a repeated send is the same stored message.
 */
import type { TypeCapabilities } from '../types.js'

export const WEBCHAT_CAPABILITIES: TypeCapabilities = Object.freeze({
  // The message is already stored under its id; a second send changes nothing the visitor sees.
  idempotentSends: true,
  sendJitter: false,
  nativeTemplates: false,
})
