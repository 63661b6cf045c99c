import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startSmtpSink, type SmtpSink } from '../../../test/fakes/smtp-sink.js'
import { SendError, type OutboundPayload } from '../types.js'
import { createEmailConnector, type EmailConnector } from './index.js'
import { recordingContext, type RecordingContext } from './recording-context.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { emailSettings } from './settings.js'

const SENDERS = ['support@example.com', 'billing@shop.example']

function payload(over: Partial<OutboundPayload> = {}): OutboundPayload {
  return {
    messageId: `msg_${Math.random().toString(36).slice(2, 10)}`,
    channel: 'mail',
    threadId: 'th_1',
    to: 'ana@customer.example',
    contact: { id: 'ct_1', firstName: 'Ana', lastName: null },
    text: 'Hello Ana,\nyour refund is on its way: https://shop.example/r/1?a=1&b=<2>',
    template: null,
    attachments: [],
    email: {
      from: 'billing@shop.example',
      subject: 'Your refund',
      bcc: ['boss@shop.example', 'audit@shop.example'],
      inReplyTo: null,
      references: [],
    },
    createdAt: new Date().toISOString(),
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  }
}

async function sendError(promise: Promise<unknown>): Promise<SendError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SendError)
  return err as SendError
}

describe('email connector: outbound SMTP', () => {
  let sink: SmtpSink
  let connector: EmailConnector
  let ctx: RecordingContext

  beforeAll(async () => {
    sink = await startSmtpSink()
    connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, {
        type: 'email',
        smtp: { url: sink.url },
        senders: SENDERS,
        default_subject: 'A message from Shop',
      }),
    )
    ctx = recordingContext()
    await connector.start(ctx)
  })
  afterAll(async () => {
    await connector.stop()
    await sink.close()
  })
  afterEach(() => {
    sink.received.length = 0
  })

  it('sends from the chosen sender with the subject; bcc only in the envelope', async () => {
    const out = payload()
    const result = await connector.send(out)
    const [mail] = await sink.waitFor(1)
    expect(mail?.envelope.from).toBe('billing@shop.example')
    expect(mail?.envelope.to.sort()).toEqual(
      ['ana@customer.example', 'audit@shop.example', 'boss@shop.example'].sort(),
    )
    expect(mail?.parsed.from?.value[0]?.address).toBe('billing@shop.example')
    expect(mail?.parsed.subject).toBe('Your refund')
    const headerBlock = mail?.raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? ''
    expect(headerBlock).toMatch(/^To: ana@customer\.example$/im)
    expect(headerBlock).not.toMatch(/^Bcc:/im)
    expect(mail?.raw.toString('utf8')).not.toContain('boss@shop.example')
    expect(result.platformMessageId).toBe(`<${out.messageId}@shop.example>`)
  })

  it('falls back to the first sender and the default subject', async () => {
    const out = payload({
      email: { from: '', subject: '', bcc: [], inReplyTo: null, references: [] },
    })
    const result = await connector.send(out)
    const [mail] = await sink.waitFor(1)
    expect(mail?.envelope.from).toBe('support@example.com')
    expect(mail?.envelope.to).toEqual(['ana@customer.example'])
    expect(mail?.parsed.subject).toBe('A message from Shop')
    expect(result.platformMessageId).toBe(`<${out.messageId}@example.com>`)
  })

  it('refuses a sender that is not in senders', async () => {
    const out = payload({
      email: { from: 'ceo@other.example', subject: 'x', bcc: [], inReplyTo: null, references: [] },
    })
    const err = await sendError(connector.send(out))
    expect(err.kind).toBe('rejected')
    expect(err.code).toBe('sender_unknown')
    expect(sink.received).toHaveLength(0)
  })

  it('sets Message-ID, In-Reply-To and References so the reply stays in one conversation', async () => {
    const out = payload({
      email: {
        from: 'support@example.com',
        subject: 'Re: Where is my order?',
        bcc: [],
        inReplyTo: '<CAF=customer-2@mail.gmail.com>',
        references: ['<msg_first@example.com>', '<CAF=customer-2@mail.gmail.com>'],
      },
    })
    await connector.send(out)
    const [mail] = await sink.waitFor(1)
    expect(mail?.parsed.messageId).toBe(`<${out.messageId}@example.com>`)
    expect(mail?.parsed.inReplyTo).toBe('<CAF=customer-2@mail.gmail.com>')
    expect(mail?.parsed.references).toEqual([
      '<msg_first@example.com>',
      '<CAF=customer-2@mail.gmail.com>',
    ])
  })

  it('sends the text with an escaped HTML alternative and attachments as MIME parts', async () => {
    const pdf = Buffer.from('%PDF-1.4 fake invoice')
    const out = payload({
      attachments: [
        {
          id: 'at_1',
          filename: 'invoice.pdf',
          contentType: 'application/pdf',
          size: pdf.length,
          sha256: 'x',
          url: 'http://localhost/v1/attachments/at_1',
          read: () => Promise.resolve(pdf),
        },
      ],
    })
    await connector.send(out)
    const [mail] = await sink.waitFor(1)
    expect(mail?.parsed.text?.trim()).toBe(out.text)
    const html = String(mail?.parsed.html)
    expect(html).toContain('Hello Ana,<br>')
    expect(html).toContain('<a href="https://shop.example/r/1?a=1&amp;b=')
    expect(html).toContain('&lt;2&gt;')
    expect(html).not.toContain('<2>')
    expect(mail?.raw.toString('utf8')).toMatch(/Content-Type: multipart\/alternative/i)
    const attachment = mail?.parsed.attachments[0]
    expect(attachment?.filename).toBe('invoice.pdf')
    expect(attachment?.contentType).toBe('application/pdf')
    expect(attachment?.content.equals(pdf)).toBe(true)
  })

  it('maps a 4xx at RCPT to retry, not possibly delivered', async () => {
    sink.reply({ at: 'RCPT', code: 451, message: '4.7.1 Greylisted, try again later' })
    const err = await sendError(connector.send(payload({ email: null })))
    expect(err.kind).toBe('retry')
    expect(err.possiblyDelivered).toBe(false)
    expect(err.message).toContain('451')
  })

  it('maps a 4xx after DATA to retry', async () => {
    sink.reply({ at: 'DATA', code: 452, message: '4.3.1 Insufficient system storage' })
    const err = await sendError(connector.send(payload()))
    expect(err.kind).toBe('retry')
    expect(err.possiblyDelivered).toBe(false)
  })

  it('maps "550 no such user" for the customer to unreachable', async () => {
    sink.reply({
      at: 'RCPT',
      code: 550,
      message: '5.1.1 <ana@customer.example>: Recipient address rejected: User unknown',
      recipient: 'ana@customer.example',
    })
    const err = await sendError(connector.send(payload()))
    expect(err.kind).toBe('unreachable')
    expect(err.code).toBe('smtp_no_such_user')
  })

  it('maps other 5xx replies to rejected', async () => {
    sink.reply({ at: 'DATA', code: 554, message: '5.7.1 Message rejected as spam' })
    const err = await sendError(connector.send(payload()))
    expect(err.kind).toBe('rejected')
    expect(err.code).toBe('smtp_rejected')
  })

  it('marks a connection lost after the message went out as possibly delivered', async () => {
    sink.dropAfterData()
    const err = await sendError(connector.send(payload()))
    expect(err.kind).toBe('retry')
    expect(err.possiblyDelivered).toBe(true)
  })

  it('maps a refused connection to retry, not possibly delivered', async () => {
    const closed = await startSmtpSink()
    await closed.close()
    const connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, { type: 'email', smtp: { url: closed.url }, senders: SENDERS }),
    )
    await connector.start(recordingContext())
    try {
      const err = await sendError(connector.send(payload()))
      expect(err.kind).toBe('retry')
      expect(err.code).toBe('smtp_connection')
      expect(err.possiblyDelivered).toBe(false)
    } finally {
      await connector.stop()
    }
  })

  it('stays usable after failures (the pool recovers)', async () => {
    await connector.send(payload())
    expect(await sink.waitFor(1)).toHaveLength(1)
  })
})

describe('email connector: SMTP login', () => {
  it('a wrong SMTP password is rejected with smtp_auth and shown in the channel state', async () => {
    const sink = await startSmtpSink({ auth: { user: 'relay', pass: 'right-pass' } })
    const url = `smtp://relay:wrong-pass-123@127.0.0.1:${sink.port}`
    const connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, { type: 'email', smtp: { url }, senders: SENDERS }),
    )
    const ctx = recordingContext()
    try {
      await connector.start(ctx)
      const err = await sendError(connector.send(payload()))
      expect(err.kind).toBe('rejected')
      expect(err.code).toBe('smtp_auth')
      expect(err.message).not.toContain('wrong-pass-123')
      await ctx.until(() => ctx.states.at(-1)?.state === 'error')
      const detail = ctx.states.at(-1)?.detail ?? ''
      expect(detail).toMatch(/^SMTP login failed: 535/)
      expect(detail).not.toContain('wrong-pass-123')
    } finally {
      await connector.stop()
      await sink.close()
    }
  })

  it('logs in with the URL credentials', async () => {
    const sink = await startSmtpSink({ auth: { user: 'relay', pass: 'p@ss:word' } })
    const connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, { type: 'email', smtp: { url: sink.url }, senders: SENDERS }),
    )
    const ctx = recordingContext()
    try {
      await connector.start(ctx)
      await connector.send(payload())
      expect(await sink.waitFor(1)).toHaveLength(1)
      expect(ctx.states.at(-1)?.state).toBe('connected')
    } finally {
      await connector.stop()
      await sink.close()
    }
  })
})
