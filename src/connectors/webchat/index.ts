/**
 * Web chat connector (`type: webchat`, DESIGN §12). The "platform" is this daemon: an outbound
 * message is already stored when the dispatcher hands it over, so `send()` only confirms it (the
 * dispatcher then records `sent` and publishes its `message.status` live event, which every open
 * widget stream of the contact — on any daemon — turns into a `message` event and `delivered`).
 * Visitors write through the widget endpoints (gateway/webchat/), which hand their messages to the
 * normal inbound path. The identity's address is the site's `external_id`.
 */
import { CHANNEL_LIMITS } from '../limits.js'
import { verifyUserHash } from '../webpush/user-hash.js'
import type { Connector, ConnectorDeps } from '../types.js'
import { WEBCHAT_CAPABILITIES } from './capabilities.js'
import type { WebchatSettings } from './settings.js'

export type { WebchatSettings } from './settings.js'
export { signToken, verifyToken, TOKEN_TTL_MS, type WebchatToken } from './token.js'

/** The connector plus the visitor check the widget endpoints use. */
export interface WebchatConnector extends Connector {
  /** `user_hash` = hex HMAC-SHA256(secret, external_id), compared in constant time. */
  verifyUserHash(externalId: string, hash: string): boolean
}

export function createWebchatConnector(
  deps: ConnectorDeps,
  settings: WebchatSettings,
): WebchatConnector {
  return {
    name: deps.name,
    type: 'webchat',
    limits: CHANNEL_LIMITS.webchat,
    capabilities: {
      ...WEBCHAT_CAPABILITIES,
      ackWatch: null,
      vapidPublicKey: null,
      stateful: false,
    },

    verifyUserHash: (externalId, hash) => verifyUserHash(settings.secret, externalId, hash),

    start(ctx) {
      if (settings.allowed_origins.length === 0) {
        ctx.state({
          state: 'connected',
          detail: 'allowed_origins is empty: only callers without an Origin (apps) can connect',
        })
        ctx.log.warn('webchat: allowed_origins is empty; browsers on any site are refused')
        return Promise.resolve()
      }
      ctx.state({ state: 'connected' })
      return Promise.resolve()
    },

    // Stored already (the outbox job points at the stored message): the widget reads it from there.
    send: (out) => Promise.resolve({ platformMessageId: out.messageId }),

    stop: () => Promise.resolve(),
  }
}
