/**
 * Web Push connector (`type: webpush`, DESIGN §7): a VAPID-signed, aes128gcm-encrypted push to the
 * browser subscription that is the identity's address. Keys come from the config or are generated
 * once into the data folder. There is no inbound: subscriptions are registered by the site through
 * `POST /v1/channels/{name}/subscriptions`, which uses `verifyUserHash` and `parseSubscription`.
 */
import type { Logger } from 'pino'
import { Agent, type Dispatcher } from 'undici'
import { CHANNEL_LIMITS } from '../limits.js'
import { SendError, type Connector, type ConnectorContext, type ConnectorDeps } from '../types.js'
import { WEBPUSH_CAPABILITIES } from './capabilities.js'
import { guardedLookup, privateLiteralHost } from './endpoint-guard.js'
import { buildPayload, encodePayload, PAYLOAD_MAX_BYTES } from './payload.js'
import { postPush, preparePush } from './push-request.js'
import { parseSubscription } from './subscription.js'
import type { WebPushSettings } from './settings.js'
import { verifyUserHash } from './user-hash.js'
import { checkVapidKeys, loadOrCreateVapidKeys, type VapidKeys } from './vapid.js'

export type { WebPushSettings } from './settings.js'

export interface WebPushConnectorOptions {
  /** undici dispatcher (a proxy, a custom CA); default: a keep-alive Agent refusing private hosts. */
  dispatcher?: Dispatcher
  /** Per-push deadline (ms). */
  timeoutMs?: number
  /** A template's title (from `templates:`): the notification's title when a template was used. */
  templateTitle?: (name: string) => string | null
}

/** The connector plus what the subscription route needs. */
export interface WebPushConnector extends Connector {
  /** Checks a subscription's `user_hash` against the channel's `secret` (constant time). */
  verifyUserHash(externalId: string, hash: string): boolean
}

/** 30 s idle closes a push service connection; FCM and Mozilla keep theirs open ≥ 60 s. */
const KEEP_ALIVE_MS = 30_000
/** Used only when neither `vapid.subject` nor an https `public_url` says who runs the gateway. */
const FALLBACK_SUBJECT = 'mailto:webpush@omnigate.invalid'
/** 60 s: a broken key setup needs a person; retrying faster changes nothing. */
const NOT_READY_RETRY_MS = 60_000

/** The keys from the config (`null`: none configured), or why they cannot be used. */
function configuredKeys(settings: WebPushSettings): VapidKeys | null | { problem: string } {
  const v = settings.vapid
  if (v === undefined) return null
  const keys = { publicKey: v.public_key, privateKey: v.private_key }
  const problem = checkVapidKeys(keys)
  return problem === null ? keys : { problem }
}

function ttlSeconds(settings: WebPushSettings): number {
  return Math.round(settings.ttl / 1000)
}

function subjectFor(settings: WebPushSettings, publicUrl: string): string {
  if (settings.vapid?.subject) return settings.vapid.subject
  return publicUrl.startsWith('https://') ? new URL(publicUrl).origin : FALLBACK_SUBJECT
}

/** Creates the connector; generated keys are loaded at `start()`, where the data folder is known. */
export function createWebPushConnector(
  deps: ConnectorDeps,
  settings: WebPushSettings,
  opts: WebPushConnectorOptions = {},
): WebPushConnector {
  const fromConfig = configuredKeys(settings)
  let keys: VapidKeys | null = fromConfig !== null && !('problem' in fromConfig) ? fromConfig : null
  const subject = subjectFor(settings, deps.publicUrl)
  let agent: Agent | null = null // created at start(), closed at stop(): a restart gets a fresh one
  let log: Logger | null = null

  function setUp(ctx: ConnectorContext): string | null {
    if (fromConfig !== null) {
      if ('problem' in fromConfig) return fromConfig.problem
      keys = fromConfig
      return null
    }
    try {
      const loaded = loadOrCreateVapidKeys(ctx.dataDir, deps.name)
      keys = loaded.keys
      if (loaded.created)
        ctx.log.info({ publicKey: keys.publicKey }, 'webpush: generated VAPID keys')
      return null
    } catch (err) {
      return err instanceof Error ? err.message : String(err)
    }
  }

  return {
    name: deps.name,
    type: 'webpush',
    limits: CHANNEL_LIMITS.webpush,
    capabilities: {
      ...WEBPUSH_CAPABILITIES,
      ackWatch: null,
      vapidPublicKey: () => keys?.publicKey ?? null,
      stateful: false,
    },

    verifyUserHash: (externalId, hash) => verifyUserHash(settings.secret, externalId, hash),

    start(ctx) {
      log = ctx.log
      const problem =
        setUp(ctx) ??
        (/^(mailto:|https:\/\/)/.test(subject)
          ? null
          : 'vapid.subject must be a mailto: address or an https: URL')
      if (problem !== null) {
        keys = null
        ctx.state({ state: 'error', detail: problem })
        ctx.log.error(`webpush: ${problem}`)
        return Promise.resolve()
      }
      if (opts.dispatcher === undefined && agent === null) {
        const connect = deps.allowPrivateUrls ? {} : { lookup: guardedLookup }
        agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, connect })
      }
      if (subject === FALLBACK_SUBJECT) {
        ctx.log.warn(
          'webpush: set vapid.subject to a mailto: or https: contact; some push services refuse a made-up one',
        )
      }
      if (!settings.secret) {
        ctx.state({
          state: 'connected',
          detail: 'secret is not set: every subscription registration is refused (401)',
        })
        ctx.log.warn('webpush: secret is not set; subscriptions cannot be registered')
        return Promise.resolve()
      }
      ctx.state({ state: 'connected' })
      return Promise.resolve()
    },

    async send(out) {
      const dispatcher = opts.dispatcher ?? agent
      if (keys === null || dispatcher === null) {
        const message = 'the webpush channel has no usable VAPID keys (see its state)'
        throw new SendError('retry', 'channel_not_ready', message, {
          retryAfterMs: NOT_READY_RETRY_MS,
        })
      }
      const parsed = parseSubscription(out.to, { allowHttp: deps.allowPrivateUrls })
      if (!parsed.ok) throw new SendError('rejected', 'subscription_invalid', parsed.error)
      const host = deps.allowPrivateUrls
        ? null
        : privateLiteralHost(new URL(parsed.subscription.endpoint))
      if (host !== null) {
        const message = `${host} is a loopback/private/link-local address (allowed only with security.allow_private_urls)`
        throw new SendError('rejected', 'endpoint_forbidden', message)
      }
      const title = out.template ? (opts.templateTitle?.(out.template.name) ?? null) : null
      const payload = encodePayload(buildPayload(out, title, deps.name))
      if (payload.length > PAYLOAD_MAX_BYTES) {
        const message = `the push payload is ${payload.length} bytes; at most ${PAYLOAD_MAX_BYTES} fit in a push`
        throw new SendError('rejected', 'text_too_long', message)
      }
      const push = await preparePush(parsed.subscription, payload, {
        vapid: { ...keys, subject },
        ttlS: ttlSeconds(settings),
        urgency: settings.urgency,
        messageId: out.messageId,
      })
      const signal = AbortSignal.any([
        out.signal,
        AbortSignal.timeout(opts.timeoutMs ?? settings.timeout_ms),
      ])
      try {
        const { platformMessageId } = await postPush(push, dispatcher, signal)
        return platformMessageId === undefined ? {} : { platformMessageId }
      } catch (err) {
        if (err instanceof SendError)
          log?.info({ code: err.code, messageId: out.messageId }, 'webpush: not sent')
        throw err
      }
    },

    async stop() {
      const closing = agent
      agent = null
      await closing?.close()
    },
  }
}
