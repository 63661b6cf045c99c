/**
 * The email channel (DESIGN §7): SMTP out through nodemailer with the chosen sender, subject, bcc
 * and threading headers; mail in through IMAP IDLE and/or an SMTP listener, parsed with mailparser;
 * bounces of our own mails become `failed` statuses. The daemon owns threads and storage: this
 * connector only sends, and reports what arrives through the context.
 */
import type { Logger } from 'pino'
import { CHANNEL_LIMITS } from '../limits.js'
import {
  SendError,
  type Connector,
  type ConnectorCapabilities,
  type ConnectorContext,
  type ConnectorDeps,
  type OutboundPayload,
  type SendResult,
} from '../types.js'
import { EMAIL_CAPABILITIES } from './capabilities.js'
import { ChannelStateBoard } from './channel-state.js'
import { ImapReceiver } from './imap-receiver.js'
import { contentId, parseMail, type MailOutcome } from './parse-mail.js'
import { validateEmailSettings, type EmailSettings } from './settings.js'
import type { SmtpListener } from './smtp-listener.js'
import { SmtpSender } from './smtp-sender.js'

export type { EmailSettings } from './settings.js'

const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024 // what most providers accept for a whole mail

/** The connector, plus where the SMTP listener ended up (`smtp_listen` with port 0, in tests). */
export interface EmailConnector extends Connector {
  listenAddress(): { host: string; port: number } | null
}

/**
 * Builds the email connector from its validated `channels.<name>` block. Throws only for settings
 * `validateEmailSettings()` refuses; connection problems surface later, in the channel state.
 */
export function createEmailConnector(
  deps: ConnectorDeps,
  settings: EmailSettings,
  opts: EmailConnectorOptions = {},
): EmailConnector {
  const problems = validateEmailSettings(settings)
  if (problems.length > 0) throw new Error(`channels.${deps.name}.${problems[0]}`)
  return new Email(deps.name, settings, opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES)
}

/** Not a config key: a test seam. */
export interface EmailConnectorOptions {
  /** Largest mail the SMTP listener accepts, in bytes. */
  maxMessageBytes?: number
}

class Email implements EmailConnector {
  readonly type = 'email' as const
  readonly limits = CHANNEL_LIMITS.email
  readonly capabilities: ConnectorCapabilities
  private readonly senders: string[]
  private readonly board = new ChannelStateBoard((state) => this.ctx?.state(state))
  private ctx: ConnectorContext | null = null
  private log: Logger | null = null
  private sender: SmtpSender | null = null
  private receiver: ImapReceiver | null = null
  private listener: SmtpListener | null = null
  private bound: { host: string; port: number } | null = null

  constructor(
    readonly name: string,
    private readonly settings: EmailSettings,
    private readonly maxMessageBytes: number,
  ) {
    // IMAP IDLE and the SMTP listener are sessions (one mailbox watcher, one bound port);
    // a send-only channel (SMTP out) is not.
    this.capabilities = {
      ...EMAIL_CAPABILITIES,
      ackWatch: null,
      vapidPublicKey: null,
      stateful: settings.imap !== undefined || settings.smtp_listen !== undefined,
    }
    this.senders = settings.senders.map((s) => s.trim().toLowerCase())
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.ctx = ctx
    const log = ctx.log // already bound to component, channel and channel_type by the registry
    this.log = log
    const imap = this.settings.imap
    // First, so the channel reads `connecting` until IMAP is in IDLE, not `connected` at once.
    if (imap) this.board.set('imap', { state: 'connecting', detail: 'IMAP: starting' })
    this.board.set('smtp', { state: 'connected' })
    this.sender = new SmtpSender({
      url: this.settings.smtp.url,
      senders: this.senders,
      defaultSubject: this.settings.default_subject,
      log,
      onAuthState: (detail) =>
        this.board.set('smtp', detail ? { state: 'error', detail } : { state: 'connected' }),
    })
    void this.sender.verify()
    if (imap) {
      this.receiver = new ImapReceiver({
        url: imap.url,
        mailbox: imap.mailbox,
        kv: ctx.kv,
        log,
        onState: (state) => this.board.set('imap', state),
        deliver: (raw) => this.deliver(raw),
        ...(ctx.loops ? { loops: ctx.loops } : {}),
      })
      this.receiver.start()
    }
    const listen = this.settings.smtp_listen
    if (listen !== undefined) await this.startListener(listen, log)
  }

  async send(out: OutboundPayload): Promise<SendResult> {
    if (!this.sender) {
      throw new SendError('retry', 'not_started', `channel ${this.name} is not started`)
    }
    return this.sender.send(out)
  }

  async stop(): Promise<void> {
    await Promise.all([this.receiver?.stop(), this.listener?.stop()])
    this.sender?.close()
    this.receiver = null
    this.listener = null
    this.sender = null
  }

  listenAddress(): { host: string; port: number } | null {
    return this.bound
  }

  private async startListener(listen: string, log: Logger): Promise<void> {
    // smtp-server is loaded only for a channel with `smtp_listen` (DESIGN §8 P5, the footprint).
    const { SmtpListener } = await import('./smtp-listener.js')
    this.listener = new SmtpListener({
      listen,
      recipients: new Set(this.senders),
      maxBytes: this.maxMessageBytes,
      log,
      deliver: (raw) => this.deliver(raw),
    })
    try {
      this.bound = await this.listener.start()
      const where = `${this.bound.host}:${this.bound.port}`
      this.board.set('listener', { state: 'connected', detail: `SMTP listener on ${where}` })
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      const detail = `SMTP listener on ${listen}: ${reason}`
      this.board.set('listener', { state: 'error', detail })
      log.error({ reason }, 'SMTP listener could not start')
      this.listener = null
    }
  }

  /** One received mail → the daemon. Rejects when the daemon could not take it (tried again). */
  private async deliver(raw: Buffer): Promise<void> {
    const ctx = this.ctx
    const log = this.log
    if (!ctx || !log) throw new Error('email channel is not started')
    const outcome: MailOutcome = await parseMail(raw, {
      fallbackId: contentId(raw),
      ownAddresses: new Set(this.senders),
    }).catch((err: unknown) => {
      // A mail mailparser cannot read will not get better: skip it rather than retry forever.
      log.error({ reason: err instanceof Error ? err.message : String(err) }, 'unreadable mail')
      return { kind: 'ignored', reason: 'unreadable' }
    })
    if (outcome.kind === 'message') {
      const result = await ctx.inbound(outcome.message)
      log.info({ messageId: result.messageId, duplicate: !result.created }, 'mail received')
    } else if (outcome.kind === 'status') {
      await ctx.status(outcome.update)
      log.info({ platformMessageId: outcome.update.platformMessageId }, 'bounce received')
    } else {
      log.info({ reason: outcome.reason }, 'mail ignored')
    }
  }
}
