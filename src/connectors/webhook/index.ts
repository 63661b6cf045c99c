/**
 * The `webhook` channel: a custom channel whose platform is the user's own app (an SMS provider,
 * Viber, anything it relays to). Outbound is a signed JSON POST to the configured `url`; inbound
 * and status updates come back through `POST /v1/channels/{name}/inbound|status`, served by the
 * API routes (this connector has no `handleHook`). Wire format: docs/channels/webhook.md.
 */
import type { Logger } from 'pino'
import { Pool } from 'undici'
import { CHANNEL_LIMITS } from '../limits.js'
import {
  SendError,
  type Connector,
  type ConnectorContext,
  type ConnectorDeps,
  type OutboundPayload,
  type SendResult,
} from '../types.js'
import { WEBHOOK_CAPABILITIES } from './capabilities.js'
import { toWebhookBody } from './outbound-body.js'
import { fromAnswer, fromTransport, isAuthFailure } from './send-error.js'
import { postToRelay, RelayTransportError } from './relay-request.js'
import type { WebhookSettings } from './settings.js'
import { signedHeaders } from './signature.js'

export type { WebhookSettings } from './settings.js'

// P2 drains with 64 sends in flight: one keep-alive socket each means no send waits behind
// another's slow answer; more sockets would only pile onto a small relay.
const POOL_CONNECTIONS = 64
// Below common server idle timeouts (Node 5 s, nginx 75 s), so we rarely write on a socket the
// relay is closing: that write fails as a reset, a retry and a possible duplicate.
const KEEP_ALIVE_MS = 4_000
// How long stop() lets in-flight sends finish (their outcome gets recorded) before cutting them.
const STOP_GRACE_MS = 2_000

/** The relay's URL, or why the channel cannot start with these settings. */
function relayUrl(name: string, settings: WebhookSettings): URL | string {
  const url = URL.canParse(settings.url) ? new URL(settings.url) : null
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return `channels.${name}.url is not an http(s) URL`
  }
  if (settings.secret === '') {
    return `channels.${name}.secret is empty: every request must be signed`
  }
  return url
}

/** Creates a webhook channel connector; no I/O until `start()`. */
export function createWebhookConnector(deps: ConnectorDeps, settings: WebhookSettings): Connector {
  const timeoutMs = settings.timeout_ms
  let pool: Pool | null = null
  let ctx: ConnectorContext | null = null
  let log: Logger | null = null
  let target: URL | null = null
  let authFailing = false

  function setAuthFailing(failing: boolean, status?: number): void {
    if (failing === authFailing || !ctx || !target) return
    authFailing = failing
    if (failing) {
      const detail =
        `the relay at ${target.origin} answered ${status}: check that the channel's secret ` +
        'matches the one the app verifies with'
      log?.warn({ status }, 'relay refused our requests')
      ctx.state({ state: 'error', detail })
    } else {
      ctx.state({ state: 'connected' })
    }
  }

  return {
    name: deps.name,
    type: 'webhook',
    limits: CHANNEL_LIMITS.webhook,
    capabilities: {
      ...WEBHOOK_CAPABILITIES,
      ackWatch: null,
      vapidPublicKey: null,
      stateful: false,
    },

    // No handshake: the relay is first contacted by a send, so the channel is connected at once.
    start(context) {
      ctx = context
      log = context.log // already bound to component, channel and channel_type by the registry
      const url = relayUrl(deps.name, settings)
      if (typeof url === 'string') {
        context.state({ state: 'error', detail: url })
        return Promise.reject(new Error(url))
      }
      target = url
      pool = new Pool(url.origin, {
        connections: POOL_CONNECTIONS,
        keepAliveTimeout: KEEP_ALIVE_MS,
        connect: { timeout: timeoutMs },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      authFailing = false
      // The origin only: a path or query may carry the app's own token.
      log.info({ relay: url.origin }, 'webhook channel ready')
      context.state({ state: 'connected' })
      return Promise.resolve()
    },

    async send(out: OutboundPayload): Promise<SendResult> {
      if (!pool || !target) {
        throw new SendError('retry', 'not_started', 'the webhook channel is not running')
      }
      const body = Buffer.from(JSON.stringify(toWebhookBody(out)))
      const headers = {
        'Content-Type': 'application/json',
        'Idempotency-Key': out.messageId,
        'User-Agent': 'omnigate',
        // Both signature forms; webhook-id is the message id, the same on every retry.
        ...signedHeaders(settings.secret, out.messageId, body),
      }
      let result: SendResult
      try {
        const answer = await postToRelay(pool, {
          path: target.pathname + target.search,
          headers,
          body,
          signal: out.signal,
          timeoutMs,
          onWrite: out.onWrite,
        })
        if (isAuthFailure(answer.status)) setAuthFailing(true, answer.status)
        result = fromAnswer(answer)
      } catch (err) {
        const failure = err instanceof RelayTransportError ? fromTransport(err) : err
        // The dispatcher logs each outcome it acts on; here only the detail, for debugging.
        if (failure instanceof SendError) {
          log?.debug({ messageId: out.messageId, code: failure.code }, failure.message)
        }
        throw failure
      }
      setAuthFailing(false)
      log?.debug({ messageId: out.messageId, platformMessageId: result.platformMessageId }, 'sent')
      return result
    },

    async stop() {
      const closing = pool
      pool = null
      if (!closing) return
      let timer: NodeJS.Timeout | undefined
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)
      })
      const done = closing.close().then(
        () => 'closed' as const,
        () => 'closed' as const, // destroyed below meanwhile
      )
      const closed = await Promise.race([done, grace])
      clearTimeout(timer)
      if (closed === 'late') await closing.destroy()
    },
  }
}
