/**
 * The optional inbound SMTP server (`smtp_listen`): an MTA (Postfix, a provider's forwarding) hands
 * mail for the channel's own addresses straight to the daemon. Other recipients are refused at
 * RCPT, oversized mail at MAIL FROM (SIZE) or after DATA, and the mail is acknowledged only after
 * the daemon took it — a failure answers 451 so the sending MTA keeps it and retries.
 */
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server'
import type { Logger } from 'pino'
import { parseListenAddress } from './settings.js'

const CLOSE_TIMEOUT_MS = 3_000 // stop waits this long for a mail being handed over, then cuts
const SOCKET_TIMEOUT_MS = 60_000 // an idle client; RFC 5321 asks senders for 5 min, MTAs reconnect

export interface SmtpListenerOptions {
  listen: string
  /** The addresses mail is accepted for (lowercased). */
  recipients: ReadonlySet<string>
  maxBytes: number
  log: Logger
  /** Takes one raw mail; a rejection is answered with 451 (try again later). */
  deliver(raw: Buffer): Promise<void>
}

export class SmtpListener {
  private readonly server: SMTPServer
  private address: { host: string; port: number } | null = null

  constructor(private readonly opts: SmtpListenerOptions) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH'],
      // No certificate is configured; smtp-server's built-in one is public. Run it on localhost
      // or behind an MTA that terminates TLS.
      hideSTARTTLS: true,
      size: opts.maxBytes,
      rejectOversized: true,
      socketTimeout: SOCKET_TIMEOUT_MS,
      closeTimeout: CLOSE_TIMEOUT_MS,
      logger: false,
      banner: 'Omnigate',
      onRcptTo: (address, _session, callback) => {
        if (opts.recipients.has(address.address.toLowerCase())) return callback()
        callback(smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`))
      },
      onData: (stream, _session, callback) => {
        this.receive(stream).then(
          () => callback(),
          (err: unknown) => callback(err instanceof SmtpReply ? err : tempFailure(err, opts.log)),
        )
      },
    })
    this.server.on('error', (err) => opts.log.warn({ reason: err.message }, 'SMTP listener error'))
  }

  /** Listens on `smtp_listen`; resolves with the bound address (port 0 picks a free one). */
  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = parseListenAddress(this.opts.listen)
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.server.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.server.off('error', onError)
        resolve()
      })
    })
    const bound = this.server.server.address()
    this.address = { host, port: typeof bound === 'object' && bound ? bound.port : port }
    return this.address
  }

  async stop(): Promise<void> {
    if (!this.address) return
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async receive(stream: SMTPServerDataStream): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of stream) {
      // Past the limit smtp-server answers 552 itself; keep reading but stop holding the bytes.
      if (!stream.sizeExceeded) chunks.push(chunk as Buffer)
    }
    if (stream.sizeExceeded) throw smtpError(552, '5.3.4 message too big')
    await this.opts.deliver(Buffer.concat(chunks))
  }
}

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message)
  }
}

function smtpError(code: number, message: string): SmtpReply {
  return new SmtpReply(code, message)
}

function tempFailure(err: unknown, log: Logger): SmtpReply {
  log.error({ reason: err instanceof Error ? err.message : String(err) }, 'inbound mail not stored')
  return smtpError(451, '4.3.0 temporary failure, try again later')
}
