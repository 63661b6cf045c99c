/**
 * The WhatsApp Cloud API connector (DESIGN §7): plain HTTP to the Graph API over an undici
 * `Pool` — text, media by link, native templates mapped in the config — and the webhook at
 * `/hooks/whatsapp-cloud/<name>` for messages (which open the 24 h window) and statuses.
 */
import type { Logger } from 'pino'
import { CHANNEL_LIMITS } from '../limits.js'
import type {
  Connector,
  ConnectorContext,
  ConnectorDeps,
  OutboundPayload,
  SendResult,
} from '../types.js'
import { WHATSAPP_CLOUD_CAPABILITIES } from './capabilities.js'
import { GraphClient } from './graph-client.js'
import { deliverWebhook } from './inbound.js'
import { WhatsAppSender } from './outbound.js'
import { isAuthError, toSendError } from './send-error.js'
import {
  resolveWhatsAppCloudSettings,
  type ResolvedWhatsAppCloudSettings,
  type WhatsAppCloudSettings,
} from './settings.js'
import { answerHandshake, validSignature } from './webhook.js'
import { readWebhookBody } from './webhook-body.js'
import { recheckUntilKnown } from '../shared/recheck.js'

export type { WhatsAppCloudSettings } from './settings.js'

/** The connector for one `type: whatsapp-cloud` channel; no network use before start(). */
export function createWhatsAppCloudConnector(
  deps: ConnectorDeps,
  settings: WhatsAppCloudSettings,
): Connector {
  return new WhatsAppCloudConnector(deps.name, resolveWhatsAppCloudSettings(settings))
}

class WhatsAppCloudConnector implements Connector {
  readonly type = 'whatsapp-cloud' as const
  readonly limits = CHANNEL_LIMITS['whatsapp-cloud']
  readonly capabilities = {
    ...WHATSAPP_CLOUD_CAPABILITIES,
    ackWatch: null,
    vapidPublicKey: null,
    stateful: false,
  }
  private readonly graph: GraphClient
  private readonly sender: WhatsAppSender
  private ctx: ConnectorContext | null = null
  private log: Logger | null = null
  private stopper = new AbortController()
  private checking: Promise<void> | null = null
  private authFailed = false

  constructor(
    readonly name: string,
    private readonly cfg: ResolvedWhatsAppCloudSettings,
  ) {
    this.graph = new GraphClient(cfg.graphUrl, cfg.apiVersion, cfg.accessToken, cfg.timeoutMs)
    this.sender = new WhatsAppSender(this.graph, cfg.phoneNumberId, cfg.templates)
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx
    this.log = ctx.log // already bound to component, channel and channel_type by the registry
    this.stopper = new AbortController()
    ctx.state({ state: 'connecting' })
    // The first check is awaited so start() reports a bad token; retries run in the background.
    const signal = AbortSignal.any([ctx.signal, this.stopper.signal])
    if ((await this.checkToken(ctx, signal)) === 'unknown')
      this.checking = recheckUntilKnown(() => this.checkToken(ctx, signal), ctx, signal)
  }

  async send(out: OutboundPayload): Promise<SendResult> {
    try {
      const result = await this.sender.send(out)
      if (this.authFailed) this.setConnected()
      return result
    } catch (err) {
      const mapped = toSendError(err, out.signal)
      if (mapped.code === 'auth') {
        this.authFailed = true
        this.ctx?.state({
          state: 'error',
          detail: `the access token was rejected (${mapped.message})`,
        })
      }
      throw mapped
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort()
    await this.checking
    this.checking = null
    await this.graph.close()
  }

  /** `GET`: the handshake (403 unless the verify token matches); `POST`: 401 unless signed. */
  async handleHook(req: Request): Promise<Response> {
    if (req.method === 'GET') return answerHandshake(req, this.cfg.verifyToken)
    if (req.method !== 'POST') return new Response('method not allowed', { status: 405 })
    const body = Buffer.from(await req.arrayBuffer())
    if (!validSignature(body, req.headers.get('x-hub-signature-256'), this.cfg.appSecret)) {
      return new Response('unauthorized', { status: 401 })
    }
    const { ctx, log } = this
    // Before start() or after stop(): Meta retries a failed delivery for days.
    if (!ctx || !log || this.stopper.signal.aborted)
      return new Response('not running', { status: 503 })
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch {
      return new Response('body is not JSON', { status: 400 })
    }
    const read = readWebhookBody(json)
    if (!read) return new Response('body is not a WhatsApp webhook object', { status: 400 })
    if (read.skipped > 0)
      log.warn({ skipped: read.skipped }, 'whatsapp-cloud: skipped webhook items of unknown shape')
    try {
      await deliverWebhook(
        read.body,
        this.cfg.phoneNumberId,
        this.graph,
        ctx,
        log,
        this.stopper.signal,
      )
    } catch (err) {
      log.error(
        { reason: err instanceof Error ? err.message : String(err) },
        'whatsapp-cloud: webhook failed',
      )
      // Not stored (the store is busy or full, a media download failed): Meta delivers again.
      return new Response('could not store the delivery', { status: 503 })
    }
    return new Response(null, { status: 200 })
  }

  /** GET the phone number object: proves the token and the phone number id together. */
  private async checkToken(
    ctx: ConnectorContext,
    signal: AbortSignal,
  ): Promise<'ok' | 'rejected' | 'unknown'> {
    try {
      const phone = await this.graph.call<{ display_phone_number?: string }>(
        'GET',
        `${encodeURIComponent(this.cfg.phoneNumberId)}?fields=display_phone_number,verified_name`,
        undefined,
        signal,
      )
      this.log?.info({ phone: phone.display_phone_number }, 'whatsapp-cloud: access token accepted')
      this.setConnected()
      return 'ok'
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      if (isAuthError(err)) {
        this.authFailed = true
        ctx.state({ state: 'error', detail: `the access token was rejected (${reason})` })
        return 'rejected'
      }
      const mapped = toSendError(err, signal)
      if (mapped.kind !== 'retry') {
        // e.g. a wrong phone_number_id (code 100): the config must change, retrying will not help
        ctx.state({
          state: 'error',
          detail: `the phone number ${this.cfg.phoneNumberId} was refused (${reason})`,
        })
        return 'rejected'
      }
      ctx.state({
        state: 'disconnected',
        detail: `cannot reach the Graph API (${reason}); retrying`,
      })
      return 'unknown'
    }
  }

  private setConnected(): void {
    this.authFailed = false
    this.ctx?.state({ state: 'connected' })
  }
}
