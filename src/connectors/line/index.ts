/**
 * The LINE connector (DESIGN §7): @line/bot-sdk's MessagingApiClient against `api_base_url`.
 * Outbound is a push with a retry key derived from our message id (exactly once, even across
 * retries); inbound is the webhook at `/hooks/line/<name>`, verified with `X-Line-Signature`.
 */
import { messagingApi, validateSignature } from '@line/bot-sdk'
import type { Logger } from 'pino'
import { CHANNEL_LIMITS } from '../limits.js'
import type {
  Connector,
  ConnectorContext,
  ConnectorDeps,
  OutboundPayload,
  SendResult,
} from '../types.js'
import { LINE_CAPABILITIES } from './capabilities.js'
import { withDeadline } from './deadline.js'
import { LineInbound } from './inbound.js'
import { pushOutbound } from './outbound.js'
import { isAuthError, lineErrorText, toSendError } from './send-error.js'
import { resolveLineSettings, type LineSettings, type ResolvedLineSettings } from './settings.js'
import { readWebhookEvents } from './webhook-body.js'
import { recheckUntilKnown } from '../shared/recheck.js'

export type { LineSettings } from './settings.js'

/** The connector for one `type: line` channel; nothing touches the network before start(). */
export function createLineConnector(deps: ConnectorDeps, settings: LineSettings): Connector {
  return new LineConnector(deps.name, resolveLineSettings(settings))
}

class LineConnector implements Connector {
  readonly type = 'line' as const
  readonly limits = CHANNEL_LIMITS.line
  readonly capabilities = {
    ...LINE_CAPABILITIES,
    ackWatch: null,
    vapidPublicKey: null,
    stateful: false,
  }
  private readonly api: messagingApi.MessagingApiClient
  private readonly blob: messagingApi.MessagingApiBlobClient
  private ctx: ConnectorContext | null = null
  private log: Logger | null = null
  private inbound: LineInbound | null = null
  private stopper = new AbortController()
  private checking: Promise<void> | null = null
  private authFailed = false

  constructor(
    readonly name: string,
    private readonly cfg: ResolvedLineSettings,
  ) {
    const token = cfg.channelAccessToken
    this.api = new messagingApi.MessagingApiClient({
      channelAccessToken: token,
      baseURL: cfg.apiBaseUrl,
    })
    this.blob = new messagingApi.MessagingApiBlobClient({
      channelAccessToken: token,
      baseURL: cfg.dataBaseUrl,
    })
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx
    this.log = ctx.log // already bound to component, channel and channel_type by the registry
    this.inbound = new LineInbound({ api: this.api, blob: this.blob }, this.log, this.cfg.timeoutMs)
    this.stopper = new AbortController()
    ctx.state({ state: 'connecting' })
    // The first check is awaited so start() reports a bad token; retries run in the background.
    const signal = AbortSignal.any([ctx.signal, this.stopper.signal])
    if ((await this.checkToken(ctx, signal)) === 'unknown')
      this.checking = recheckUntilKnown(() => this.checkToken(ctx, signal), ctx, signal)
  }

  async send(out: OutboundPayload): Promise<SendResult> {
    try {
      const result = await pushOutbound(this.api, out, this.cfg.timeoutMs)
      if (this.authFailed) this.setConnected()
      return result
    } catch (err) {
      const mapped = toSendError(err)
      if (mapped.code === 'auth') {
        this.authFailed = true
        this.ctx?.state({
          state: 'error',
          detail: `the channel access token was rejected (${mapped.message})`,
        })
      }
      throw mapped
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort()
    await this.checking
    this.checking = null
  }

  /** `POST /hooks/line/<name>`: 401 unless `X-Line-Signature` matches the raw body. */
  async handleHook(req: Request): Promise<Response> {
    if (req.method !== 'POST') return new Response('method not allowed', { status: 405 })
    const body = Buffer.from(await req.arrayBuffer())
    const signature = req.headers.get('x-line-signature') ?? ''
    if (!validateSignature(body, this.cfg.channelSecret, signature)) {
      return new Response('unauthorized', { status: 401 })
    }
    const { ctx, inbound, log } = this
    // Before start() or after stop(): LINE redelivers (when enabled) what got a 5xx.
    if (!ctx || !inbound || !log || this.stopper.signal.aborted)
      return new Response('not running', { status: 503 })
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch {
      return new Response('body is not JSON', { status: 400 })
    }
    const read = readWebhookEvents(json)
    if (!read) return new Response('body is not a LINE webhook object', { status: 400 })
    if (read.skipped > 0)
      log.warn({ skipped: read.skipped }, 'line: skipped webhook events of unknown shape')
    try {
      for (const ev of read.events) await inbound.handle(ev, ctx, this.stopper.signal)
    } catch (err) {
      log.error(
        { reason: err instanceof Error ? err.message : String(err) },
        'line: webhook event failed',
      )
      // Not stored (the store is busy or full, a download failed): LINE may redeliver.
      return new Response('could not store the events', { status: 503 })
    }
    return new Response(null, { status: 200 })
  }

  /** getBotInfo: a rejected token is a channel error (not a throw). */
  private async checkToken(
    ctx: ConnectorContext,
    signal: AbortSignal,
  ): Promise<'ok' | 'rejected' | 'unknown'> {
    try {
      const bot = await withDeadline(() => this.api.getBotInfo(), signal, this.cfg.timeoutMs)
      this.log?.info({ bot: bot.basicId }, 'line: channel access token accepted')
      this.setConnected()
      return 'ok'
    } catch (err) {
      if (isAuthError(err)) {
        this.authFailed = true
        ctx.state({
          state: 'error',
          detail: `the channel access token was rejected (401 ${lineErrorText(err)})`,
        })
        return 'rejected'
      }
      const reason = err instanceof Error ? err.message : String(err)
      ctx.state({
        state: 'disconnected',
        detail: `cannot reach the LINE Messaging API (${reason}); retrying`,
      })
      return 'unknown'
    }
  }

  private setConnected(): void {
    this.authFailed = false
    this.ctx?.state({ state: 'connected' })
  }
}
