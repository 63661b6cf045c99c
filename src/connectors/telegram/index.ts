/**
 * The Telegram connector (DESIGN §7): grammY's `Api` against `api_root`, inbound by long polling
 * (offset in `ctx.kv`) or by webhook (`/hooks/telegram/<name>` with a `secret_token`), outbound by
 * sendMessage / sendPhoto / sendDocument / sendMediaGroup. No auto-retry or throttler plugin: the
 * dispatcher owns retries and rate limits, and every failure leaves here as one `SendError`.
 */
import { Api } from 'grammy'
import type { Update } from 'grammy/types'
import type { Logger } from 'pino'
import { CHANNEL_LIMITS } from '../limits.js'
import type {
  Connector,
  ConnectorCapabilities,
  ConnectorContext,
  ConnectorDeps,
  OutboundPayload,
  SendResult,
} from '../types.js'
import { TELEGRAM_CAPABILITIES } from './capabilities.js'
import { toInbound } from './inbound.js'
import { sendOutbound } from './outbound.js'
import { POLL_TIMEOUT_S, pollingLoop } from './polling.js'
import { errText, isAuthError, toSendError } from './send-error.js'
import {
  resolveTelegramSettings,
  type ResolvedTelegramSettings,
  type TelegramSettings,
} from './settings.js'
import { g } from './signals.js'
import { answerWebhook, webhookRegistration } from './webhook.js'

export type { TelegramSettings } from './settings.js'

/** Client-side deadline per Bot API call: above the long-poll time, which is the longest call. */
const CLIENT_TIMEOUT_S = POLL_TIMEOUT_S + 15

/** The connector for one `type: telegram` channel; nothing touches the network before start(). */
export function createTelegramConnector(
  deps: ConnectorDeps,
  settings: TelegramSettings,
): Connector {
  return new TelegramConnector(deps, resolveTelegramSettings(settings))
}

class TelegramConnector implements Connector {
  readonly type = 'telegram' as const
  readonly limits = CHANNEL_LIMITS.telegram
  readonly capabilities: ConnectorCapabilities
  readonly name: string
  private readonly api: Api
  private ctx: ConnectorContext | null = null
  private log: Logger | null = null
  private stopper = new AbortController()
  /** Aborted by stop() or by the daemon stopping. */
  private runSignal: AbortSignal = this.stopper.signal
  private running: Promise<void> | null = null

  constructor(
    private readonly deps: ConnectorDeps,
    private readonly cfg: ResolvedTelegramSettings,
  ) {
    this.name = deps.name
    // Long polling is a session (a second poller on the bot gets 409); webhook mode is not.
    this.capabilities = {
      ...TELEGRAM_CAPABILITIES,
      ackWatch: null,
      vapidPublicKey: null,
      stateful: cfg.mode === 'polling',
    }
    this.api = new Api(cfg.token, { apiRoot: cfg.apiRoot, timeoutSeconds: CLIENT_TIMEOUT_S })
    // Every call but the long poll gets the channel's deadline (`timeout`), in one place.
    this.api.config.use((prev, method, payload, signal) => {
      if (method === 'getUpdates') return prev(method, payload, signal)
      const deadline = AbortSignal.timeout(cfg.timeoutMs)
      const own = signal as unknown as AbortSignal | undefined
      return prev(method, payload, g(own ? AbortSignal.any([own, deadline]) : deadline))
    })
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx
    this.log = ctx.log // already bound to component, channel and channel_type by the registry
    this.stopper = new AbortController()
    const signal = AbortSignal.any([ctx.signal, this.stopper.signal])
    this.runSignal = signal
    ctx.state({ state: 'connecting' })
    const token = await this.checkToken(ctx, signal)
    if (token === 'rejected') return
    if (this.cfg.mode === 'webhook') {
      const url = this.webhookUrl()
      const secret = this.cfg.webhookSecret
      const loop = webhookRegistration(this.api, url, secret, ctx, this.log, signal)
      loop.start()
      this.running = loop.finished
      return
    }
    if (token === 'accepted') ctx.state({ state: 'connected' })
    const handleUpdate = (u: Update, s: AbortSignal): Promise<void> => this.receive(u, s)
    const loop = pollingLoop({ api: this.api, ctx, log: this.log, handleUpdate }, signal)
    loop.start()
    this.running = loop.finished
  }

  /** getMe: a rejected token is a channel error (not a throw); an unreachable API, retried. */
  private async checkToken(
    ctx: ConnectorContext,
    signal: AbortSignal,
  ): Promise<'accepted' | 'rejected' | 'unknown'> {
    try {
      const me = await this.api.getMe(g(signal))
      this.log?.info({ bot: me.username, mode: this.cfg.mode }, 'telegram: bot token accepted')
      return 'accepted'
    } catch (err) {
      if (isAuthError(err)) {
        const reason = `${err.error_code} ${err.error_code === 401 ? 'Unauthorized' : 'Not Found'}`
        ctx.state({ state: 'error', detail: `the bot token was rejected (${reason})` })
        return 'rejected'
      }
      // The poll loop / webhook registration keep trying and report when it works.
      ctx.state({
        state: 'disconnected',
        detail: `cannot reach the Telegram Bot API (${errText(err)}); retrying`,
      })
      return 'unknown'
    }
  }

  async send(out: OutboundPayload): Promise<SendResult> {
    try {
      return await sendOutbound(this.api, out)
    } catch (err) {
      const mapped = toSendError(err)
      if (mapped.code === 'auth') {
        this.ctx?.state({ state: 'error', detail: 'the bot token was rejected (401 Unauthorized)' })
      }
      throw mapped
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort()
    await this.running
    this.running = null
  }

  async handleHook(req: Request): Promise<Response> {
    const log = this.log
    if (this.cfg.mode !== 'webhook') return new Response('not in webhook mode', { status: 404 })
    // Before start() or after stop(): Telegram retries a 503 later.
    if (!log || this.runSignal.aborted) return new Response('not running', { status: 503 })
    const signal = this.runSignal
    return answerWebhook(req, this.cfg.webhookSecret, (u) => this.receive(u, signal), log)
  }

  /** One update → at most one inbound message; resolves once the daemon stored it. */
  private async receive(update: Update, signal: AbortSignal): Promise<void> {
    const ctx = this.ctx
    if (!ctx) return
    const member = update.my_chat_member
    if (member && member.chat.type === 'private') {
      // The person blocked the bot ("kicked") or unblocked / restarted it.
      await ctx.reachability(String(member.chat.id), member.new_chat_member.status !== 'kicked')
      return
    }
    if (!update.message) return
    const files = { api: this.api, apiRoot: this.cfg.apiRoot, token: this.cfg.token }
    const msg = await toInbound(update.message, files, signal)
    if (msg) await ctx.inbound(msg)
    else
      this.log?.info({ update_id: update.update_id }, 'telegram: skipped a message we do not store')
  }

  private webhookUrl(): string {
    const base = this.deps.publicUrl.replace(/\/+$/, '')
    return `${base}/hooks/telegram/${encodeURIComponent(this.name)}`
  }
}
