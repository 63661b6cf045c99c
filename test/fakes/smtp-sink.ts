/**
 * An SMTP server for tests (smtp-server on 127.0.0.1:0) that records what it is sent: the envelope,
 * the raw DATA and its parse. It can be told to answer a code at RCPT or after DATA (451, 550 …),
 * to drop the connection once the message arrived (an unknown outcome for the sender), and to
 * require a username and password. No TLS: STARTTLS is not offered.
 */
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface SinkMail {
  envelope: { from: string; to: string[] }
  raw: Buffer
  parsed: ParsedMail
}

export interface SinkReply {
  /** RCPT TO (per recipient) or the reply to the message after DATA. */
  at: 'RCPT' | 'DATA'
  code: number
  message: string
  /** Only for this recipient (RCPT); any when absent. */
  recipient?: string
  /** How many times to answer so (default 1). */
  times?: number
}

export interface SmtpSink {
  host: string
  port: number
  /** `smtp://[user:pass@]127.0.0.1:port`, for the connector's `smtp.url`. */
  url: string
  /** Mails accepted, in order. */
  received: SinkMail[]
  /** Connections opened so far (a pooled transport reuses them). */
  connections(): number
  reply(rule: SinkReply): void
  /** Closes the connection, unanswered, once the next message's bytes arrived. */
  dropAfterData(): void
  /** Resolves once `count` mails were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMail[]>
  close(): Promise<void>
}

export async function startSmtpSink(
  opts: { auth?: { user: string; pass: string } } = {},
): Promise<SmtpSink> {
  const received: SinkMail[] = []
  const rules: SinkReply[] = []
  let drops = 0
  let connections = 0
  const waiters: Array<() => void> = []

  const take = (at: SinkReply['at'], recipient?: string): SinkReply | undefined => {
    const index = rules.findIndex(
      (r) => r.at === at && (r.recipient === undefined || r.recipient === recipient),
    )
    const rule = rules[index]
    if (!rule) return undefined
    rule.times = (rule.times ?? 1) - 1
    if (rule.times <= 0) rules.splice(index, 1)
    return rule
  }
  const failure = (rule: SinkReply): Error =>
    Object.assign(new Error(rule.message), { responseCode: rule.code })

  const server: SMTPServer = new SMTPServer({
    authOptional: !opts.auth,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    logger: false,
    onConnect: (_session, callback) => {
      connections++
      callback()
    },
    onAuth: (auth, _session, callback) => {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        return callback(null, { user: auth.username })
      }
      const refused = new Error('5.7.8 Authentication credentials invalid')
      callback(Object.assign(refused, { responseCode: 535 }))
    },
    onRcptTo: (address, _session, callback) => {
      const rule = take('RCPT', address.address)
      callback(rule ? failure(rule) : null)
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        if (drops > 0) {
          drops--
          for (const connection of server.connections) {
            if (connection.id === session.id) connection._socket.destroy()
          }
          return
        }
        const rule = take('DATA')
        if (rule) return callback(failure(rule))
        const raw = Buffer.concat(chunks)
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        const to = session.envelope.rcptTo.map((r) => r.address)
        simpleParser(raw).then(
          (parsed) => {
            received.push({ envelope: { from, to }, raw, parsed })
            waiters.splice(0).forEach((wake) => wake())
            callback()
          },
          (err: Error) => callback(err),
        )
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const credentials = opts.auth
    ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@`
    : ''

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    received,
    connections: () => connections,
    reply: (rule) => rules.push({ ...rule }),
    dropAfterData: () => {
      drops++
    },
    waitFor: async (count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`SMTP sink: ${received.length} of ${count} mails arrived`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return received.slice(0, count)
    },
    close: async () => {
      // Pooled clients keep connections open; cut them instead of waiting for them to leave.
      for (const connection of server.connections) connection._socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
