/**
 * Outbound mail over one pooled nodemailer SMTP transport. Retries belong to the dispatcher, so the
 * pool only re-queues a message whose connection dropped before a byte of it was sent; every other
 * failure comes back at once as a `SendError` from `toSendError()`.
 *
 * nodemailer as a whole (its mailer, MIME composer and tables) is loaded with the first send: an
 * idle daemon held 0.7 MB of heap for it (DESIGN §8 P5). The login check at start needs only its
 * SMTP pool, which is what the transport's own `verify()` calls.
 */
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import { SendError, type OutboundPayload, type SendResult } from '../types.js'
import { composeMail } from './compose.js'
import { parseServerUrl } from './settings.js'
import { asFailure, toSendError } from './send-error.js'

const MAX_CONNECTIONS = 3 // submission servers cap parallel sessions per account, some at 3
const MAX_REQUEUES = 1 // only when a reused connection died before a byte of the mail was sent
const CONNECTION_TIMEOUT_MS = 30_000 // TCP + TLS setup; a slower server is effectively down
const GREETING_TIMEOUT_MS = 30_000 // RFC 5321 §4.5.3.2 suggests 5 min; real servers greet in < 1 s
const SOCKET_TIMEOUT_MS = 120_000 // silence mid-transaction: covers a slow reply to a big DATA

export interface SmtpSenderOptions {
  url: string
  /** Lowercased; the first is the default sender. */
  senders: string[]
  defaultSubject: string | undefined
  log: Logger
  /** A login failure (`detail`) or its recovery (`null`), for the channel state. */
  onAuthState(detail: string | null): void
}

type Transport = Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>

export class SmtpSender {
  private readonly options: SMTPPoolOptions
  /** The transport, made with the first send. */
  private transport: Promise<Transport> | null = null
  private closed = false
  private readonly redact: (text: string) => string
  /** The stream nodemailer pipes into DATA, per Message-ID, to tell if any byte went out. */
  private readonly bodies = new Map<string, { stream?: Readable }>()

  constructor(private readonly opts: SmtpSenderOptions) {
    const server = parseServerUrl(opts.url, 'smtp')
    const secret = server.pass
    this.redact = (text) => (secret && secret.length > 2 ? text.split(secret).join('***') : text)
    this.options = {
      pool: true,
      host: server.host,
      port: server.port,
      secure: server.secure,
      auth: server.user ? { user: server.user, pass: server.pass ?? '' } : undefined,
      tls: server.tlsInsecure ? { rejectUnauthorized: false } : undefined,
      maxConnections: MAX_CONNECTIONS,
      maxRequeues: MAX_REQUEUES,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    }
  }

  private loadTransport(): Promise<Transport> {
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      const transport = nodemailer.createTransport(this.options)
      // The last stage before the socket: nodemailer reads it only after the server's 354 to DATA.
      transport.use('stream', (mail, done) => {
        const body = this.bodies.get(mail.message.messageId())
        if (body) {
          mail.message.processFunc((input) => {
            body.stream = input
            return input
          })
        }
        done()
      })
      if (this.closed) {
        // Stopped while it loaded.
        transport.close()
        throw new SendError('retry', 'not_started', 'the SMTP sender is closed')
      }
      return transport
    })
    return this.transport
  }

  async send(out: OutboundPayload): Promise<SendResult> {
    const { mail, messageId } = await composeMail(out, this.opts).catch((err: unknown) => {
      throw err instanceof SendError ? err : unreadableAttachment(err)
    })
    const body: { stream?: Readable } = {}
    this.bodies.set(messageId, body)
    try {
      const transport = await this.loadTransport()
      const info = await transport.sendMail(mail)
      const refused = info.rejected.some((r) => r.toLowerCase() === out.to.toLowerCase())
      if (refused) {
        // Another recipient (a bcc) took it, so nodemailer called it a success.
        throw toSendError({ rejectedErrors: info.rejectedErrors }, out.to, false, this.redact)
      }
      if (info.rejected.length > 0) {
        this.opts.log.warn({ messageId: out.messageId, rejected: info.rejected }, 'bcc refused')
      }
      this.opts.onAuthState(null)
      return { platformMessageId: messageId }
    } catch (err) {
      if (err instanceof SendError) throw err
      const dataStarted = body.stream?.readableDidRead === true
      const error = toSendError(err, out.to, dataStarted, this.redact)
      if (error.code === 'smtp_auth') this.opts.onAuthState(error.message)
      throw error
    } finally {
      this.bodies.delete(messageId)
    }
  }

  /**
   * Logs in once at start so a wrong password shows in the channel state before the first send.
   * An unreachable server is only logged: sends retry, and a state would not clear by itself.
   */
  async verify(): Promise<void> {
    try {
      // The transport's verify() is its pool's: a connection of its own, login, QUIT.
      const { default: SMTPPool } = await import('nodemailer/lib/smtp-pool')
      const pool = new SMTPPool(this.options)
      try {
        await pool.verify()
      } finally {
        pool.close()
      }
      this.opts.onAuthState(null)
    } catch (err) {
      const error = toSendError(err, '', false, this.redact)
      if (error.code === 'smtp_auth') {
        this.opts.onAuthState(error.message)
      } else {
        const code = asFailure(err).code
        this.opts.log.warn({ code, reason: error.message }, 'SMTP check failed')
      }
    }
  }

  close(): void {
    this.closed = true
    // A transport still loading is closed as it comes (loadTransport rejects its sends then).
    void this.transport?.then(
      (transport) => transport.close(),
      () => undefined,
    )
  }
}

function unreadableAttachment(err: unknown): SendError {
  // A blob that is gone stays gone; any other read error (disk busy, EMFILE) may pass.
  const missing = (err as { code?: unknown }).code === 'ENOENT'
  const reason = err instanceof Error ? err.message : String(err)
  return new SendError(missing ? 'rejected' : 'retry', 'attachment_unavailable', reason, {
    cause: err,
  })
}
